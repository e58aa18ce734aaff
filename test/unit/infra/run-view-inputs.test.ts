import { describe, expect, it } from 'vitest';
import { withInputs } from '../../../infra/run-view.ts';
import type { RunView } from '../../../service/view.ts';

const stage = (id: string) => ({ id, kind: 'x', status: 'pending' as const, attempts: 0, durationMs: null, outputs: [], metrics: {} });
const view: RunView = { runId: 'r', workflowId: 'w', status: 'running', temporalUiUrl: '', stages: [stage('web'), stage('clean'), stage('eval')] };

describe('a run view with its DAG', () => {
  it("gives each stage the plan's nodes it reads, once each, even before it ran", () => {
    const plan = {
      nodes: [
        { id: 'web', kind: 'ingest', inputs: [] },
        { id: 'clean', kind: 'filter', inputs: [{ node: 'web', port: 'data', kind: 'dataset' }] },
        { id: 'eval', kind: 'evaluate', inputs: [{ node: 'clean', port: 'kept', kind: 'dataset' }, { node: 'clean', port: 'rejected', kind: 'dataset' }] },
      ],
    };
    expect(withInputs(plan, view).stages.map((s) => [s.id, s.inputs])).toEqual([
      ['web', []],
      ['clean', ['web']],
      ['eval', ['clean']],
    ]);
  });

  it('leaves the view as it is when the stored plan is not one (a sweep has no nodes of its own)', () => {
    expect(withInputs(null, view)).toBe(view);
    expect(withInputs({ nodes: 'nope' }, view)).toBe(view);
  });
});
