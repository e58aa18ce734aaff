/**
 * The interpreter's check of a stage's activity options against what the
 * Temporal server accepts: a compiled plan passes; each option Temporal would
 * reject (and so fail the workflow task forever) is named with its value.
 */
import { describe, expect, it } from 'vitest';
import { compileRecipe, parseRecipeText } from '../../../recipe/index.ts';
import type { PlanNode } from '../../../recipe/plan.ts';
import { RUNNABLE_KINDS } from '../../../recipe/stages/index.ts';
import { activityOptionProblems, MAX_DURATION_MS } from '../../../workflows/activity-guard.ts';

const plan = compileRecipe(
  parseRecipeText(`apiVersion: braise/v1
name: guard
model: { layers: 1, dModel: 32, heads: 2, context: 32 }
datasets:
  web: { source: builtin:brown, genres: [m] }
stages:
  - id: base
    kind: pretrain
    inputs: [web]
    with: { steps: 5, batchSize: 4 }
`),
);
const base = plan.nodes.find((n) => n.id === 'base')!;
const broken = (change: (n: PlanNode) => void): PlanNode => {
  const n = structuredClone(base);
  change(n);
  return n;
};

describe('activityOptionProblems', () => {
  it('accepts every node the compiler makes', () => {
    for (const n of plan.nodes) expect(activityOptionProblems(n, `${n.id}#1`)).toEqual([]);
  });

  it('names each option Temporal would reject, with its value', () => {
    expect(activityOptionProblems(broken((n) => (n.timeouts.startToCloseMs = 0)), 'base#1')).toEqual([
      `timeouts.startToCloseMs: must be an integer from 1 to ${MAX_DURATION_MS}, got 0`,
    ]);
    expect(activityOptionProblems(broken((n) => (n.timeouts.startToCloseMs = 1e300)), 'base#1')[0]).toMatch(/^timeouts.startToCloseMs: .* got 1e\+300$/);
    expect(activityOptionProblems(broken((n) => (n.timeouts.heartbeatMs = -5)), 'base#1')).toEqual([
      `timeouts.heartbeatMs: must be null or an integer from 0 to ${MAX_DURATION_MS}, got -5`,
    ]);
    expect(activityOptionProblems(broken((n) => (n.retry.maximumAttempts = 0)), 'base#1')).toEqual([
      'retry.maximumAttempts: must be an integer from 1 to 2147483647, got 0',
    ]);
    expect(activityOptionProblems(broken((n) => (n.queue = '/_sys/braise-gpu')), 'base#1')).toEqual([
      'queue: names under "/_sys/" are reserved by Temporal',
    ]);
    expect(activityOptionProblems(broken((n) => (n.queue = '')), 'base#1')).toEqual(['queue: must be a non-empty string']);
    expect(activityOptionProblems(base, `${'x'.repeat(1001)}#1`)).toEqual(['id: the activity id is 1003 characters, at most 1000']);
    expect(activityOptionProblems(broken((n) => (n.kind = 'pretrian')), 'base#1')).toEqual([
      `kind: no activity for stage kind "pretrian" (known: ${RUNNABLE_KINDS.join(', ')})`,
    ]);
  });

  it('lists every problem of a node at once', () => {
    const n = broken((x) => {
      x.timeouts.startToCloseMs = -1;
      x.retry.maximumAttempts = 1.5;
    });
    expect(activityOptionProblems(n, 'base#1').map((p) => p.split(':')[0])).toEqual(['timeouts.startToCloseMs', 'retry.maximumAttempts']);
  });
});
