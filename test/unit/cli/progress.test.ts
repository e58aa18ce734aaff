/** The live progress display: a loss sparkline beside a training bar on a terminal; plain lines, no sparkline, elsewhere. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress } from '../../../cli/progress.ts';
import type { RunView } from '../../../service/view.ts';

const SPARK = /[▁▂▃▄▅▆▇█]/;

function view(step: number, loss: number): RunView {
  return {
    runId: 'r-1',
    workflowId: 'w',
    status: 'running',
    temporalUiUrl: 'http://ui',
    stages: [{ id: 'base', kind: 'pretrain', status: 'running', attempts: 1, durationMs: null, outputs: [], metrics: {}, progress: { step, totalSteps: 100, loss } }],
  };
}

/** A stream that says it is (or is not) a terminal and keeps what is written to it. */
function stream(isTTY: boolean): NodeJS.WriteStream & { text(): string } {
  const s = new PassThrough();
  let out = '';
  s.on('data', (d: Buffer) => (out += d.toString()));
  return Object.assign(s, { isTTY, columns: 160, rows: 40, text: () => out }) as unknown as NodeJS.WriteStream & { text(): string };
}

describe('createProgress', () => {
  it('draws the recent losses as a sparkline beside the bar on a terminal', async () => {
    const tty = stream(true);
    const display = createProgress(tty);
    for (const [step, loss] of [[10, 5], [20, 4], [30, 3], [40, 2.5]] as const) display.update(view(step, loss));
    display.stop();
    await new Promise((r) => setImmediate(r));
    expect(tty.text()).toContain('loss 2.500 █▅▂▁');
  });

  it('prints plain lines elsewhere: no sparkline, no redraws', async () => {
    const pipe = stream(false);
    const display = createProgress(pipe);
    for (const [step, loss] of [[10, 5], [20, 4], [30, 3]] as const) display.update(view(step, loss));
    display.stop();
    await new Promise((r) => setImmediate(r));
    expect(pipe.text()).toBe('[braise] base (pretrain): running\n[braise] base: step 10/100 loss 5.000\n[braise] base: step 20/100 loss 4.000\n[braise] base: step 30/100 loss 3.000\n');
    expect(pipe.text()).not.toMatch(SPARK);
  });
});
