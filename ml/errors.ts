/**
 * Bad job input: a missing or malformed shard, an invalid config, a checkpoint that does not fit the
 * model, a non-empty output directory. Permanent: a retry cannot fix it. The message names the place
 * (`data/x.jsonl:17: text: expected a string`, `job.model.heads: ...`).
 *
 * The trainer child reports any {@link PermanentError} as `permanent: true` over IPC, and
 * `ml/runner.ts` rebuilds it as a JobInputError on the parent's side.
 */
import { PermanentError } from '../errors/permanent.ts';

export class JobInputError extends PermanentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JobInputError';
  }
}
