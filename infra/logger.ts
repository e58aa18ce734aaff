/** One pino logger per process, to stderr (stdout belongs to `--json` output). */
import { pino, type DestinationStream, type Level, type Logger } from 'pino';

/** The level of the process's stderr log: `BRAISE_LOG_LEVEL`, default warn. */
export function logLevel(): string {
  return process.env.BRAISE_LOG_LEVEL ?? 'warn';
}

/**
 * The process logger: `level` and above to stderr; with `tee`, info and above also to it whatever `level` is (a
 * worker's stage logs, activities/stage-log.ts, keep an attempt's info lines while stderr shows warnings only).
 */
export function createLogger(level: string = logLevel(), tee?: DestinationStream): Logger {
  if (!tee) return pino({ level, base: { service: 'braise' } }, pino.destination(2));
  const teeOnly = { level: 'info' as const, stream: tee };
  // `silent`: nothing on stderr, the stage logs still kept.
  if (level === 'silent') return pino({ level: 'info', base: { service: 'braise' } }, pino.multistream([teeOnly]));
  if (!isLevel(level)) throw new Error(`BRAISE_LOG_LEVEL: expected silent or one of ${Object.keys(pino.levels.values).join(', ')}, got "${level}"`);
  const lowest = pino.levels.values[level]! < pino.levels.values.info! ? level : 'info';
  return pino({ level: lowest, base: { service: 'braise' } }, pino.multistream([{ level, stream: pino.destination(2) }, teeOnly]));
}

function isLevel(level: string): level is Level {
  return Object.hasOwn(pino.levels.values, level);
}

/** Longest string and array a log line keeps; the rest is counted, not printed. */
const MAX_STRING = 500;
const MAX_ITEMS = 20;
const MAX_DEPTH = 6;

/**
 * A copy of `value` fit for one log line: long strings and arrays are cut (saying how much was left out), deep
 * objects stop at a depth. A failed database write's error carries its whole statement and every parameter
 * (a 150-point loss flush is 750 of them); the SDK logs that error as it is.
 */
export function compactForLog(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}… (${value.length - MAX_STRING} more characters)` : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return Array.isArray(value) ? `[array of ${value.length}]` : '[object]';
  if (Array.isArray(value)) {
    const kept = value.slice(0, MAX_ITEMS).map((v) => compactForLog(v, depth + 1));
    return value.length > MAX_ITEMS ? [...kept, `… (${value.length - MAX_ITEMS} more items)`] : kept;
  }
  if (value instanceof Error) {
    return compactForLog({ ...value, name: value.name, message: value.message, stack: value.stack }, depth);
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, compactForLog(v, depth + 1)]));
}
