/**
 * Sorting failures: bad input is permanent (never retried, the run pauses or
 * fails at once); anything else is transient and Temporal retries it.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { DatasetInputError } from '../datasets/errors.ts';
import { ArtifactNotFoundError } from '../datasets/errors.ts';

/** Permanent failures cross Temporal as non-retryable ApplicationFailures; others are rethrown unchanged. */
export function classify(err: unknown): never {
  if (err instanceof DatasetInputError || err instanceof ArtifactNotFoundError) {
    throw ApplicationFailure.nonRetryable(err.message, err.name);
  }
  if (err instanceof Error && (err as { permanent?: boolean }).permanent === true) {
    throw ApplicationFailure.nonRetryable(err.message, 'PermanentStageError');
  }
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
