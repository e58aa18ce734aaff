/**
 * Ingest limits. A `file:` source is outside input: a 4 MB gzip can expand to gigabytes, a line can be
 * a gigabyte long. Ingest streams, and these limits bound what one source may cost the worker (memory
 * and CPU), so one bad file fails its own run with a clear error instead of taking the worker down.
 * Each limit has an environment variable; errors name it.
 */
import { DatasetInputError } from './errors.ts';

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

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kib: 1024, m: MiB, mib: MiB, g: 1024 * MiB, gib: 1024 * MiB };

/**
 * `1048576`, `8MiB`, `512k`, `2 G` → bytes (binary units), null for anything else. datasets/ sits below
 * recipe/ (eslint.layers.js), so it cannot share recipe/limits.ts's parser; this one takes whole numbers.
 */
export function parseSize(raw: string): number | null {
  const m = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(raw);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) return null;
  const n = Number(m[1]) * unit;
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/** `8 MiB`, `1 GiB`, `1500 B`: how errors state a byte limit (exactly, as it was configured). */
export function formatBytes(n: number): string {
  for (const [unit, size] of [['GiB', 1024 * MiB], ['MiB', MiB], ['KiB', 1024]] as const) {
    if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  }
  return `${n} B`;
}

/** Limits from `BRAISE_INGEST_MAX_*`, defaults for unset ones; throws naming the variable on a bad value. */
export function ingestLimitsFromEnv(env: NodeJS.ProcessEnv): IngestLimits {
  const out: IngestLimits = { ...DEFAULT_INGEST_LIMITS };
  for (const key of Object.keys(INGEST_LIMIT_ENV) as Array<keyof IngestLimits>) {
    const name = INGEST_LIMIT_ENV[key];
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const n = key === 'maxDocs' ? (/^\s*\d+\s*$/.test(raw) && Number(raw) > 0 ? Number(raw) : null) : parseSize(raw);
    if (n === null || !Number.isSafeInteger(n)) {
      throw new Error(`${name}: expected ${key === 'maxDocs' ? 'a positive integer' : 'a size in bytes such as 8MiB, 1GiB or 1048576 (whole numbers)'}, got "${raw}"`);
    }
    out[key] = n;
  }
  return out;
}
