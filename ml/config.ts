import { z } from 'zod';
import { BYTE_VOCAB_SIZE } from './tokenizer.ts';

/** The architecture of a Braise GPT, as written in a recipe's `model:` and in `config.json`. */
export interface ModelConfig {
  arch: 'gpt';
  layers: number;
  dModel: number;
  heads: number;
  /** Maximum sequence length (the learned positional embedding has this many rows). */
  context: number;
  tokenizer: 'byte';
  /** Defaults to 257 (bytes + EOS). */
  vocabSize?: number;
}

const positiveInt = z.number().int().positive();

/** Validates a {@link ModelConfig}; unknown keys are errors. */
export const modelConfigSchema = z
  .strictObject({
    arch: z.literal('gpt'),
    layers: positiveInt,
    dModel: positiveInt,
    heads: positiveInt,
    context: positiveInt.min(2),
    tokenizer: z.literal('byte'),
    vocabSize: z.literal(BYTE_VOCAB_SIZE).optional(),
  })
  .refine((c) => c.dModel % c.heads === 0, { message: 'dModel must be divisible by heads', path: ['dModel'] });

/** Formats zod issues as `where: path: message` lines, the shape every Braise input error has. */
export function formatIssues(where: string, error: z.ZodError): string {
  return error.issues
    .map((i) => `${where}: ${i.path.length > 0 ? i.path.map(String).join('.') : '(root)'}: ${i.message}`)
    .join('\n');
}

/**
 * Parses and validates a model config read from `where` (a file path or field path, for messages),
 * filling in `vocabSize`.
 */
export function parseModelConfig(input: unknown, where: string): Required<ModelConfig> {
  const parsed = modelConfigSchema.safeParse(input);
  if (!parsed.success) throw new Error(formatIssues(where, parsed.error));
  return { ...parsed.data, vocabSize: parsed.data.vocabSize ?? BYTE_VOCAB_SIZE };
}

/** True when two configs describe the same shapes (so weights of one load into the other). */
export function sameArchitecture(a: ModelConfig, b: ModelConfig): boolean {
  return (
    a.arch === b.arch &&
    a.layers === b.layers &&
    a.dModel === b.dModel &&
    a.heads === b.heads &&
    a.context === b.context &&
    a.tokenizer === b.tokenizer &&
    (a.vocabSize ?? BYTE_VOCAB_SIZE) === (b.vocabSize ?? BYTE_VOCAB_SIZE)
  );
}
