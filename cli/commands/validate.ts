/**
 * `braise validate <recipe> [--set …]`: compiles the recipe here, as `braise run` does before it starts anything
 * (this machine's worker memory and queues, `file:` paths against the recipe's folder), and prints the plan: each
 * node's kind, queue, inputs and fingerprint (the compile-time part of its cache key; the rest is its inputs'
 * artifacts, known once they exist). Every error is printed with its path and line (exit 2). Needs no server: it
 * neither connects to an API nor starts Temporal.
 */
import type { Plan } from '../../recipe/index.ts';
import { EXIT } from '../io.ts';
import { table } from '../render.ts';
import { compileRecipeFile } from './run.ts';

/** The plan as a table, a sweep's cells after it. */
export function renderPlan(file: string, plan: Plan): string {
  const rows = [['NODE', 'KIND', 'QUEUE', 'INPUTS', 'FINGERPRINT']];
  for (const n of plan.nodes) {
    const inputs = n.inputs.map((i) => `${i.node}.${i.port}${i.role ? ` (${i.role})` : ''}`).join(', ');
    rows.push([n.id, n.kind, n.queue, inputs || '-', n.fingerprint.slice(0, 12)]);
  }
  const stages = plan.nodes.filter((n) => n.kind !== 'ingest').length;
  const lines = [`${file}: valid — recipe "${plan.name}" (hash ${plan.recipeHash.slice(0, 12)}), ${stages} stage(s), ${plan.nodes.length - stages} dataset(s)`, '', table(rows)];
  if (plan.sweep) lines.push('', `sweep: ${plan.sweep.cells.length} cell(s) over ${plan.sweep.paths.join(', ')} (${plan.sweep.parallelism} at a time)`);
  return lines.join('\n');
}

export async function validateCommand(file: string, opts: { json?: boolean; set?: string[] }): Promise<number> {
  const read = await compileRecipeFile(file, opts.set);
  if (typeof read === 'number') return read;
  process.stdout.write(opts.json ? `${JSON.stringify(read.plan, null, 2)}\n` : `${renderPlan(file, read.plan)}\n`);
  return EXIT.ok;
}
