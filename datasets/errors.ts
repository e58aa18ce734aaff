/**
 * Bad dataset input — a malformed JSONL line, a missing file, an unknown source or genre. Permanent:
 * retrying cannot fix it, so activities surface it as a non-retryable failure. The message names the
 * place (`data/x.jsonl:17: ...` or the source string).
 */
export class DatasetInputError extends Error {
  /** Marks the error as permanent for callers that sort failures without importing this class. */
  readonly permanent = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatasetInputError';
  }
}

/** No committed artifact has this id in the store. */
export class ArtifactNotFoundError extends Error {
  constructor(
    readonly id: string,
    readonly root: string,
  ) {
    super(`artifact ${id} not found in ${root}`);
    this.name = 'ArtifactNotFoundError';
  }
}
