/**
 * `npm run bench [-- filter|orchestration|training]`: the benchmark tables, all of them
 * by default.
 *
 *   filter         filter throughput, Braise vs datatrove on the same documents (filter.ts)
 *   orchestration  per-stage overhead vs a bare Temporal activity round trip, and a
 *                  cached `braise run` of the demo end to end (orchestration.ts)
 *   training       training tokens/s, Braise on each backend vs PyTorch CPU on the same models (training.ts)
 */
import { filterBench } from './filter.ts';
import { orchestrationBench } from './orchestration.ts';
import { trainingBench } from './training.ts';

const TABLES = {
  filter: filterBench,
  orchestration: () => orchestrationBench({ stages: 10, rounds: 3, demoReruns: 3 }),
  training: trainingBench,
} as const;
type Table = keyof typeof TABLES;

const isTable = (name: string): name is Table => Object.hasOwn(TABLES, name);
const asked = process.argv.slice(2);
const unknown = asked.filter((a) => !isTable(a));
if (unknown.length > 0) {
  console.error(`npm run bench: unknown table ${unknown.map((u) => `"${u}"`).join(', ')}; choose from: ${Object.keys(TABLES).join(', ')}`);
  process.exit(2);
}
const chosen = asked.filter(isTable);
const run: Table[] = chosen.length > 0 ? chosen : ['filter', 'orchestration', 'training'];
for (const [i, name] of run.entries()) {
  if (i > 0) console.log('');
  await TABLES[name]();
}
