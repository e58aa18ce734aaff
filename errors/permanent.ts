/**
 * The one marker for failures that retrying cannot fix: bad input (a malformed shard, an unknown
 * domain in the weights, a model directory that is not one, an endpoint refusing the key).
 *
 * Why here, in its own folder: every layer throws such errors (datasets/ and ml/ at the bottom,
 * activities/ above them), and only activities/errors.ts turns them into Temporal's non-retryable
 * failures. The class must therefore sit below all of them and import nothing: not Temporal (the
 * trainer child and pure modules import it) and no other Braise folder (eslint.layers.js lets the
 * folders above import errors/, and errors/ import none). Subclasses name the kind of input that was
 * bad; `name` becomes the failure's type in Temporal.
 */

/** A failure retrying cannot fix. Subclass it (or throw it directly) instead of marking errors by a property. */
export class PermanentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

/** True for a {@link PermanentError} (of any subclass). */
export function isPermanent(err: unknown): err is PermanentError {
  return err instanceof PermanentError;
}
