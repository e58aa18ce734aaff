/**
 * The typed `with` block of each stage kind, now declared by the kind's own module in stages/ (the
 * registry). Kept as re-exports so imports of these names keep working; new code imports from
 * stages/<kind>.ts or stages/index.ts.
 */
import { NODE_SPECS, STAGE_KINDS, type StageKind } from './stages/index.ts';

export { STAGE_KINDS };
export { refSchema, classifierSchema } from './stages/common.ts';
export { filterWith, type FilterWith } from './stages/filter.ts';
export { rewriteWith, type RewriteWith } from './stages/rewrite.ts';
export { mixWith, type MixWith } from './stages/mix.ts';
export { pretrainWith, type PretrainWith, type PretrainSettings } from './stages/pretrain.ts';
export { evaluateWith, type EvaluateWith, EVALUATE_TASKS, type EvaluateTaskSpec } from './stages/evaluate.ts';
export { upsampleWith } from './stages/upsample.ts';
export { sftWith } from './stages/sft.ts';
export { dpoWith } from './stages/dpo.ts';
export { rlvrWith } from './stages/rlvr.ts';
export { mergeWith } from './stages/merge.ts';

/** Each kind's `with` schema, by kind. */
export const stageWithSchemas = Object.fromEntries(STAGE_KINDS.map((k) => [k, NODE_SPECS[k].with])) as { [K in StageKind]: (typeof NODE_SPECS)[K]['with'] };

