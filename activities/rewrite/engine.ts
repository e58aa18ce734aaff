/** What every rewrite engine implements. A misconfigured engine throws a StageInputError (activities/errors.ts). */

/** Per-call context an engine may use: cancellation and progress. */
export interface RewriteCallContext {
  /** Aborting stops the engine (kills its child process, cancels its requests). */
  signal?: AbortSignal;
  /** Called with the number of texts of this call finished so far. */
  onProgress?: (done: number) => void;
}

/**
 * A rewrite engine: turns texts into better texts.
 *
 * `rewrite` answers one entry per input text, in order: the rewritten text, or null when the
 * engine produced nothing usable for it (an empty answer, a document that was all boilerplate).
 * It rejects only for failures of the engine itself (an endpoint that keeps failing, a model
 * directory that cannot be read); such errors are a PermanentError when retrying cannot help.
 */
export interface RewriteEngine {
  /** Recorded as `meta.engine` on every rewritten document: `rules`, `model` or `openai`. */
  readonly name: string;
  /** How many texts {@link rewrite} should receive per call (amortises a child process, fills a request pool). */
  readonly batchSize: number;
  rewrite(texts: readonly string[], ctx?: RewriteCallContext): Promise<Array<string | null>>;
}
