/**
 * Sorting failures: bad input is permanent (never retried, the run pauses or fails at once); anything
 * else is transient and Temporal retries it. Permanent means a {@link PermanentError} of any layer
 * (errors/permanent.ts); this is the one place that turns it into a non-retryable ApplicationFailure,
 * typed by the error's class name (`DatasetInputError`, `JobInputError`, `StageInputError`, ...).
 */
import { ApplicationFailure } from '@temporalio/common';
import { PermanentError } from '../errors/permanent.ts';

/** Bad settings or data that a stage finds itself (a domain its inputs lack, a missing model input). */
export class StageInputError extends PermanentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StageInputError';
  }
}

/** Permanent failures cross Temporal as non-retryable ApplicationFailures; others are rethrown unchanged. */
export function classify(err: unknown): never {
  if (err instanceof PermanentError) throw ApplicationFailure.nonRetryable(err.message, err.name);
  throw err;
}

/** Runs a stage body, converting permanent errors on the way out. */
export async function sorted<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    return classify(err);
  }
}
