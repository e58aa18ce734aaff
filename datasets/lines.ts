/**
 * Bounded line splitting over a byte stream. Lines are cut on `\n` bytes (safe in UTF-8) and never
 * held beyond `maxLineBytes`: a gigabyte-long line fails after reading `maxLineBytes` of it, and the
 * whole stream after `maxBytes`, so memory stays at one line plus one chunk whatever the input.
 * `for await` pulls chunk by chunk, so a slow consumer slows the reader (backpressure).
 */
import type { Readable } from 'node:stream';
import { formatBytes, INGEST_LIMIT_ENV, IngestLimitError, type IngestLimits } from './limits.ts';

/** One line: its 1-based number and bytes (without `\n`). */
export interface ByteLine {
  lineNo: number;
  bytes: Buffer;
}

/**
 * Yields the lines of `stream` (a final line without `\n` included). Throws an {@link IngestLimitError}
 * naming `display` (and the line) when a line exceeds `maxLineBytes` or the stream `maxBytes`;
 * `decompressed` only changes the wording.
 */
export async function* boundedLines(
  stream: Readable,
  limits: Pick<IngestLimits, 'maxLineBytes' | 'maxBytes'>,
  display: string,
  decompressed = false,
): AsyncGenerator<ByteLine> {
  let parts: Buffer[] = [];
  let partBytes = 0;
  let total = 0;
  let lineNo = 1;
  const tooLong = () =>
    new IngestLimitError(
      `${display}:${lineNo}: line longer than ${formatBytes(limits.maxLineBytes)} (${INGEST_LIMIT_ENV.maxLineBytes}); stopped reading there`,
      'maxLineBytes',
    );
  for await (const read of stream) {
    if (!Buffer.isBuffer(read)) throw new TypeError('boundedLines needs a byte stream (no encoding set)');
    // Only the bytes up to the limit count as read: the error names the line where it was crossed.
    const room = limits.maxBytes - total;
    const over = read.length > room;
    const chunk = over ? read.subarray(0, room) : read;
    total += chunk.length;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl < 0 ? chunk.length : nl;
      if (partBytes + (end - start) > limits.maxLineBytes) throw tooLong();
      if (nl < 0) {
        if (end > start) {
          parts.push(chunk.subarray(start));
          partBytes += end - start;
        }
        break;
      }
      const piece = chunk.subarray(start, nl);
      yield { lineNo, bytes: parts.length === 0 ? piece : Buffer.concat([...parts, piece]) };
      parts = [];
      partBytes = 0;
      lineNo += 1;
      start = nl + 1;
    }
    if (over) {
      throw new IngestLimitError(
        `${display}: more than ${formatBytes(limits.maxBytes)} of data${decompressed ? ' after decompression' : ''} (${INGEST_LIMIT_ENV.maxBytes}); stopped reading at line ${lineNo}`,
        'maxBytes',
      );
    }
  }
  if (partBytes > 0) yield { lineNo, bytes: Buffer.concat(parts) };
}
