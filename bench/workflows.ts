/**
 * The baseline of `npm run bench -- orchestration`: a workflow that runs `n`
 * activities that do nothing, one after another, on `taskQueue`. Each costs
 * exactly one bare activity round trip, which is what a recipe stage is
 * compared with. Deterministic workflow code, bundled on its own (not part of
 * the Braise worker).
 */
import { proxyActivities } from '@temporalio/workflow';

export interface BenchActivities {
  noop(): Promise<void>;
}

export async function bareActivities(n: number, taskQueue: string): Promise<void> {
  const { noop } = proxyActivities<BenchActivities>({ startToCloseTimeout: '1m', taskQueue });
  for (let i = 0; i < n; i++) await noop();
}
