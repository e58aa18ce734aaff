/**
 * `upsample`: domain upsampling at the end of pretraining (Blakeney et al. 2024, "Does your data spark joy?";
 * ../shared METHODS.md). It continues a `pretrain` stage's own run for the last `fraction` of its schedule with
 * a changed domain mixture: it starts from that pretrain's checkpoint at step s0 = round((1 − fraction) · S)
 * (S = the pretrain's steps) — weights, AdamW moments and the step count, so the warmup + cosine learning-rate
 * schedule over S goes on where it was — and trains steps s0 + 1 … S on the pretrain's training split, each
 * domain's sampling probability multiplied by `domains.<name>` and renormalized (a domain not named keeps 1;
 * 0 drops it, the paper's cheap ablation). With every weight 1 it is the pretrain's own last steps, batch for
 * batch, and ends at the pretrain's final weights.
 *
 * Why start from the pretrain's checkpoint rather than its final model: the paper changes the mixture for the
 * last part of one run; tuning the final model again would train past S with the learning rate at its floor.
 * So s0 must be a step the pretrain checkpointed (a multiple of its `checkpointEvery`, or 0: from the seeded
 * init), which the compiler checks here; the pretrain's model artifact records its settings and where its
 * checkpoints are (activities/upsample/). PURE.
 */
import { z } from 'zod';
import { domainsOf, posInt, stageOf } from './common.ts';
import { pretrainWith } from './pretrain.ts';
import type { StageContext, StageSpec, WithIssue } from './spec.ts';

export const upsampleWith = z
  .object({
    /** The part of the pretrain's schedule to redo with the new mixture (the paper: 10–20% best, 5–30% ablated). */
    fraction: z.number().gt(0).max(1).default(0.1),
    /** Multipliers of each domain's sampling weight, by domain name (a document's `domain`); unnamed: 1; 0 drops it. */
    domains: z.record(z.string().min(1), z.number().min(0).max(1e6)).optional(),
    checkpointEvery: posInt.default(50),
    backend: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'),
  })
  .strict();

export type UpsampleWith = z.output<typeof upsampleWith>;

/** The pretrain step an upsample of `fraction` starts from, for a pretrain of `steps` steps. */
export function upsampleStartStep(steps: number, fraction: number): number {
  return Math.round((1 - fraction) * steps);
}

function checkUpsample(w: UpsampleWith, ctx: StageContext): WithIssue[] {
  if (ctx.inputs.length !== 1) return [{ path: 'inputs', message: `upsample continues one pretrain stage: give exactly one input (its inputs are ${ctx.inputs.length})` }];
  const id = stageOf(ctx.inputs[0]!);
  const upstream = ctx.stageNamed?.(id);
  if (upstream === undefined) return []; // a dataset or an unknown name: the compiler's input checks say so
  if (upstream.kind !== 'pretrain') {
    return [{ path: 'inputs[0]', message: `upsample continues a pretrain's schedule: "${id}" is a stage of kind ${upstream.kind} (give a pretrain stage)` }];
  }
  const p = pretrainWith.safeParse(upstream.with);
  if (!p.success) return []; // the pretrain's own errors are reported at its path
  const { steps: S, checkpointEvery: every } = p.data;
  if (p.data.sequenceLength !== undefined) {
    return [{ path: 'inputs[0]', message: `pretrain "${id}" trains with a sequenceLength curriculum; upsample continues only window or mixture sampling` }];
  }
  const domains = domainsOf(id, ctx);
  const unknown = domains === undefined ? [] : Object.keys(w.domains ?? {}).filter((d) => !domains.has(d));
  if (unknown.length > 0) {
    const names = [...domains!].sort();
    return unknown.map((d) => ({ path: `domains.${d}`, message: `no domain "${d}" in the data of pretrain "${id}" (its domains: ${names.join(', ')})` }));
  }
  const s0 = upsampleStartStep(S, w.fraction);
  if (s0 >= S) return [{ path: 'fraction', message: `${w.fraction} of pretrain "${id}"'s ${S} steps rounds to no step: raise it to at least ${(0.5 / S).toPrecision(2)}` }];
  if (s0 % every === 0) return [];
  const options: number[] = [];
  for (let k = Math.floor(S / every); k >= 0 && options.length < 3; k--) if (k * every < S) options.push(Number((1 - (k * every) / S).toPrecision(6)));
  return [
    {
      path: 'fraction',
      message:
        `upsample starts from pretrain "${id}"'s checkpoint at step round((1 − ${w.fraction}) · ${S}) = ${s0}, but "${id}" checkpoints every ${every} steps: ` +
        `choose a fraction that lands on a checkpoint (${options.join(', ')}) or set ${id}'s checkpointEvery to divide ${s0}`,
    },
  ];
}

export const upsampleStage = {
  kind: 'upsample',
  summary: "a pretrain's last fraction of steps again from its checkpoint, with domain sampling weights multiplied",
  with: upsampleWith,
  settings: upsampleWith,
  inputs: { accepts: ['model'], requires: 'model' },
  roles: {},
  ports: { model: 'model' },
  queue: 'braise-gpu',
  long: true,
  // No `trains`: it runs with its pretrain's batchSize and model, whose memory estimate that stage already passed.
  available: true,
  implVersion: '1',
  check: checkUpsample,
  headline: ['first_loss', 'final_loss', 'steps'],
} as const satisfies StageSpec<'upsample', typeof upsampleWith>;
