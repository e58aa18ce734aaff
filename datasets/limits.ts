/**
 * Ingest limits. A `file:` source is outside input: a 4 MB gzip can expand to gigabytes, a line can be
 * a gigabyte long. Ingest streams, and these limits bound what one source may cost the worker (memory
 * and CPU), so one bad file fails its own run with a clear error instead of taking the worker down.
 * Each limit has an environment variable; errors name it.
 */
import { parseByteSize } from '../recipe/limits.ts';
import { DatasetInputError } from './errors.ts';

export { formatBytes } from '../recipe/limits.ts';

export interface IngestLimits {
  /** Longest line, in bytes (after decompression, without the newline). */
  maxLineBytes: number;
  /** Most documents one source may yield. */
  maxDocs: number;
  /** Most bytes one source may yield after decompression (the file's size for plain JSONL). */
  maxBytes: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_INGEST_LIMITS: Readonly<IngestLimits> = Object.freeze({
  maxLineBytes: 8 * MiB,
  maxDocs: 1_000_000,
  maxBytes: 1024 * MiB,
});

/** The environment variable of each limit, for configuration and for error messages. */
export const INGEST_LIMIT_ENV: Readonly<Record<keyof IngestLimits, string>> = Object.freeze({
  maxLineBytes: 'BRAISE_INGEST_MAX_LINE_BYTES',
  maxDocs: 'BRAISE_INGEST_MAX_DOCS',
  maxBytes: 'BRAISE_INGEST_MAX_BYTES',
});

/** A source went past one of its {@link IngestLimits}. Permanent: the same input fails the same way. */
export class IngestLimitError extends DatasetInputError {
  constructor(
    message: string,
    readonly limit: keyof IngestLimits,
  ) {
    super(message);
    this.name = 'IngestLimitError';
  }
}

/** Limits from `BRAISE_INGEST_MAX_*`, defaults for unset ones; throws naming the variable on a bad value. */
export function ingestLimitsFromEnv(env: NodeJS.ProcessEnv): IngestLimits {
  const out: IngestLimits = { ...DEFAULT_INGEST_LIMITS };
  for (const key of Object.keys(INGEST_LIMIT_ENV) as Array<keyof IngestLimits>) {
    const name = INGEST_LIMIT_ENV[key];
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const n = key === 'maxDocs' ? (/^\s*\d+\s*$/.test(raw) && Number(raw) > 0 ? Number(raw) : null) : parseByteSize(raw);
    if (n === null || !Number.isSafeInteger(n)) {
      throw new Error(`${name}: expected ${key === 'maxDocs' ? 'a positive integer' : 'a size in bytes such as 8MiB, 1GiB or 1048576'}, got "${raw}"`);
    }
    out[key] = n;
  }
  return out;
}
