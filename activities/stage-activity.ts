/**
 * `stageActivity(spec, impl)`: the one entry every stage activity goes through. It hands the
 * implementation its settings parsed by the kind's own schema (typed from the spec, every default
 * filled: a plan node's settings are what the compiler resolved, parsed again here because the plan
 * crossed Temporal and may come from elsewhere), its inputs by role, and `reject()`: the one way to
 * refuse bad input, as a non-retryable StageInputError naming the stage. Permanent errors thrown
 * anywhere below become non-retryable failures on the way out (errors.ts); anything else is retried.
 */
import type { z } from 'zod';
import type { AnyStageSpec } from '../recipe/stages/index.ts';
import { sorted, StageInputError } from './errors.ts';
import type { StageActivity, StageInput, StageRequest, StageResult } from './types.ts';

/** The roles a kind's inputs come in: `data` (its `inputs:`) and each role its `with` block references. */
export type RoleOf<S extends AnyStageSpec> = 'data' | (keyof S['roles'] & string);

/** What an implementation is called with. */
export interface StageCall<S extends AnyStageSpec> {
  req: StageRequest;
  /** The stage's settings, parsed by its spec's `settings` schema. */
  settings: z.output<S['settings']>;
  /** Its inputs by role, each role present (empty when the stage has none of it), in plan order. */
  inputs: Record<RoleOf<S>, StageInput[]>;
  /** Refuses bad input: throws a non-retryable StageInputError, `<kind> "<id>": <message>`. */
  reject(message: string): never;
}

export interface StageImpl<S extends AnyStageSpec> {
  run(call: StageCall<S>): Promise<StageResult>;
}

/** Groups a request's inputs by role (`data` when none is named). */
export function inputsByRole<S extends AnyStageSpec>(spec: S, inputs: readonly StageInput[]): Record<RoleOf<S>, StageInput[]> {
  const byRole: Record<string, StageInput[]> = { data: [] };
  for (const role of Object.keys(spec.roles)) byRole[role] = [];
  for (const input of inputs) (byRole[input.role ?? 'data'] ??= []).push(input);
  return byRole as Record<RoleOf<S>, StageInput[]>;
}

/** The activity of `spec`'s kind, running `impl` with typed settings and inputs. */
export function stageActivity<S extends AnyStageSpec>(spec: S, impl: StageImpl<S>): StageActivity {
  return async (req: StageRequest) =>
    sorted(async () => {
      const where = `${spec.kind} "${req.node.id}"`;
      const reject = (message: string): never => {
        throw new StageInputError(`${where}: ${message}`);
      };
      const parsed = spec.settings.safeParse(req.node.with);
      if (!parsed.success) {
        reject(parsed.error.issues.map((i) => `with${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}: ${i.message}`).join('; '));
      }
      const settings = parsed.data as z.output<S['settings']>;
      return impl.run({ req, settings, inputs: inputsByRole(spec, req.inputs), reject });
    });
}
