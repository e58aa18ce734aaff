/** Messages between the API process and its recipe-compiler thread. */
import { z } from 'zod';
import type { RecipeIssue } from '../../recipe/errors.ts';
import type { Plan } from '../../recipe/plan.ts';

export const jobSchema = z.object({
  id: z.number().int(),
  recipe: z.unknown(),
  options: z.object({ workerMemoryBytes: z.number().optional(), queues: z.array(z.string()).optional() }),
});
export type Job = z.infer<typeof jobSchema>;

/** An `artifact:` id a recipe's dataset names, where (path and line) — checked against the store at start. */
export interface ArtifactRef {
  id: string;
  path: string;
  line?: number;
}

export type JobReply =
  | { id: number; ok: true; plan: Plan; artifacts: ArtifactRef[] }
  | { id: number; ok: false; issues: RecipeIssue[] }
  | { id: number; ok: false; error: string };

const issueSchema = z.object({ path: z.string(), message: z.string(), line: z.number().optional(), column: z.number().optional() });

/** Replies are checked like any outside input; the plan is the compiler's own output and passes through. */
export const replySchema = z.union([
  z.object({
    id: z.number(),
    ok: z.literal(true),
    plan: z.custom<Plan>((v) => typeof v === 'object' && v !== null && 'nodes' in v),
    artifacts: z.array(z.object({ id: z.string(), path: z.string(), line: z.number().optional() })),
  }),
  z.object({ id: z.number(), ok: z.literal(false), issues: z.array(issueSchema) }),
  z.object({ id: z.number(), ok: z.literal(false), error: z.string() }),
]);
