/**
 * The data-roots check a run's starter makes before anything starts: every `file:` dataset of the plan
 * must lie inside the starter's data roots, symlinks resolved. A path outside is an invalid recipe
 * (422 over HTTP, exit 2 from the CLI) naming the dataset, the path and the allowed roots. The worker
 * checks again when it opens the file (`datasets/data-roots.ts`).
 */
import { dataRootProblem, resolveFileRef, type DataRoots } from '../datasets/data-roots.ts';
import type { RecipeIssue } from '../recipe/errors.ts';
import type { Plan } from '../recipe/plan.ts';

/** One issue per `file:` dataset of `plan` outside `roots` (relative paths resolve against `cwd`). */
export async function fileSourceIssues(plan: Pick<Plan, 'nodes'>, roots: DataRoots, cwd: string): Promise<RecipeIssue[]> {
  if (roots === null) return [];
  const issues: RecipeIssue[] = [];
  for (const node of plan.nodes) {
    const source = node.kind === 'ingest' ? node.with.source : undefined;
    if (typeof source !== 'string' || !source.startsWith('file:')) continue;
    const problem = await dataRootProblem(resolveFileRef(source.slice('file:'.length), cwd), roots, source);
    if (problem !== null) issues.push({ path: `datasets.${node.id}.source`, message: problem });
  }
  return issues;
}
