/** One pino logger per process, to stderr (stdout belongs to `--json` output). */
import { pino, type Logger } from 'pino';

export function createLogger(level: string = process.env.BRAISE_LOG_LEVEL ?? 'warn'): Logger {
  return pino({ level, base: { service: 'braise' } }, pino.destination(2));
}
