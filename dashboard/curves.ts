/**
 * Which curves go on one chart: per stage, the loss (every name ending in `loss`), the mixture trajectory
 * (`mixture/<domain>`), the rewards (`train/mean_reward`, `train/rewards/*`, accuracy), and every other
 * curve alone (their scales differ).
 */
import type { Series } from './schemas.ts';

export interface CurveGroup {
  /** Stable name (`<stage>:<group>`), the chart's `data-chart`. */
  key: string;
  stage: string;
  title: string;
  series: Series[];
}

function groupOf(name: string): { id: string; title: string } {
  if (name === 'loss' || name.endsWith('/loss') || name.endsWith('_loss')) return { id: 'loss', title: 'loss' };
  if (name.startsWith('mixture/')) return { id: 'mixture', title: 'mixture weights' };
  if (/reward|accuracy/.test(name)) return { id: 'reward', title: 'reward' };
  return { id: name, title: name };
}

/** The charts for a run's series, in the order the stages first appear. */
export function curveGroups(series: readonly Series[]): CurveGroup[] {
  const groups = new Map<string, CurveGroup>();
  for (const s of series) {
    const g = groupOf(s.name);
    const key = `${s.stage}:${g.id}`;
    const group = groups.get(key) ?? { key, stage: s.stage, title: `${s.stage} — ${g.title}`, series: [] };
    group.series.push(s);
    groups.set(key, group);
  }
  return [...groups.values()];
}
