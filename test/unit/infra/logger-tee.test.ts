/** The process logger tees info and above to the stage log sink whatever BRAISE_LOG_LEVEL shows on stderr. */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../infra/logger.ts';

describe('createLogger with a tee', () => {
  it.each(['silent', 'error'])('at %s, the tee still gets info and warn lines, never debug', (level) => {
    const lines: string[] = [];
    const log = createLogger(level, { write: (l: string) => void lines.push(l) });
    log.debug('d');
    log.info('i');
    log.warn('w');
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['i', 'w']);
  });

  it('refuses a level pino does not know, naming the variable', () => {
    expect(() => createLogger('loud', { write: () => undefined })).toThrow('BRAISE_LOG_LEVEL: expected silent or one of trace, debug, info, warn, error, fatal, got "loud"');
  });
});
