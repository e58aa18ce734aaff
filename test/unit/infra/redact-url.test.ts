/** DATABASE_URL masking: no form of a password survives into a message (issue 8: empty user, `@` in the password). */
import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../../infra/db/redact-url.ts';

const SECRET = 's3cr3t';

describe('redactUrl', () => {
  const cases: Array<[string, string]> = [
    ['postgres://braise:s3cr3t@db:5432/lineage', 'postgres://braise:***@db:5432/lineage'],
    ['postgresql://:s3cr3t@db/lineage', 'postgresql://:***@db/lineage'],
    ['postgres://braise:p@s3cr3t@db/lineage', 'postgres://braise:***@db/lineage'],
    ['postgres://braise:s3cr3t@@db/lineage', 'postgres://braise:***@db/lineage'],
    ['postgres://braise:p%40s3cr3t@db/lineage', 'postgres://braise:***@db/lineage'],
    ['postgres://braise:s3:cr3t@db/lineage', 'postgres://braise:***@db/lineage'],
    ['postgres://us%40er:s3cr3t@db/lineage', 'postgres://us%40er:***@db/lineage'],
    ['postgres://braise:x/s3cr3t@db/lineage', 'postgres://braise:***@db/lineage'],
    ['postgres://braise:x#s3cr3t@db/lineage', 'postgres://braise:***@db/lineage'],
    ['postgres://braise:x?s3cr3t@db/lineage', 'postgres://braise:***@db/lineage'],
    ['postgres://braise:s3 cr3t@db/lineage', 'postgres://braise:***@db/lineage'],
    ['postgres://db/lineage?user=braise&password=s3cr3t', 'postgres://db/lineage?user=braise&password=***'],
    ['postgres://db/lineage?sslpassword=s3cr3t&ssl=true', 'postgres://db/lineage?sslpassword=***&ssl=true'],
    ['postgres://braise:s3cr3t@[::1]:5432/lineage', 'postgres://braise:***@[::1]:5432/lineage'],
    ['mysql://root:s3cr3t@db/x', 'mysql://root:***@db/x'],
    ['host=db user=braise password=s3cr3t dbname=lineage', 'host=db user=braise password=*** dbname=lineage'],
    ["host=db password='s3 cr3t' dbname=lineage", 'host=db password=*** dbname=lineage'],
    ['braise:s3cr3t@db/lineage', 'braise:***@db/lineage'],
  ];
  it.each(cases)('%s', (url, expected) => {
    const out = redactUrl(url);
    expect(out).toBe(expected);
    expect(out).not.toMatch(/s3|cr3t/);
  });

  it('leaves URLs without a password as they are', () => {
    for (const url of ['postgres://braise@db/lineage', 'postgres://db:5432/lineage', 'postgres://braise@db/lineage?application_name=a@b']) {
      expect(redactUrl(url)).toBe(url);
    }
  });

  it('never returns the password for any mix of separators in it', () => {
    for (const sep of ['@', ':', '/', '?', '#', '%', ' ', '&', '=', '@@', ':@/']) {
      const url = `postgres://u:a${sep}${SECRET}${sep}b@host:5432/db`;
      expect(redactUrl(url), url).not.toContain(SECRET);
      const empty = `postgres://:a${sep}${SECRET}@host/db`;
      expect(redactUrl(empty), empty).not.toContain(SECRET);
    }
  });
});
