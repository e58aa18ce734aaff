/**
 * Bad dataset input — a malformed JSONL line, a missing file, an unknown source or genre. Permanent:
 * retrying cannot fix it, so activities surface it as a non-retryable failure. The message names the
 * place (`data/x.jsonl:17: ...` or the source string).
 */
import { PermanentError } from '../errors/permanent.ts';

export class DatasetInputError extends PermanentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatasetInputError';
  }
}

/** No committed artifact has this id in the store. Permanent: the id is part of the stage's input. */
export class ArtifactNotFoundError extends PermanentError {
  constructor(
    readonly id: string,
    readonly root: string,
  ) {
    super(`artifact ${id} not found in ${root}`);
    this.name = 'ArtifactNotFoundError';
  }
}
