/**
 * Bad job input: a missing or malformed shard, an invalid config, a checkpoint that does not fit the
 * model, a non-empty output directory. Permanent: a retry cannot fix it. The message names the place
 * (`data/x.jsonl:17: text: expected a string`, `job.model.heads: ...`).
 */
export class JobInputError extends Error {
  /** Read by the trainer child to set `permanent` on its error message. */
  readonly permanent = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JobInputError';
  }
}

/** True for errors that retrying cannot fix (any error carrying `permanent: true`). */
export function isPermanent(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { permanent?: unknown }).permanent === true;
}
