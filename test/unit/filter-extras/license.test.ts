import { describe, expect, it } from 'vitest';
import { createLicenseRule, licenseOptions, normalizeLicense, PERMISSIVE_LICENSES } from '../../../activities/filter/license.ts';
import type { Doc } from '../../../activities/filter/rules/types.ts';

const doc = (license?: unknown, where: 'top' | 'meta' = 'top'): Doc =>
  where === 'top' ? ({ id: 'd', text: 'x', license } as Doc) : { id: 'd', text: 'x', meta: { license } };
const verdict = (rule: ReturnType<typeof createLicenseRule>, license?: unknown): string => {
  const r = rule.check(doc(license));
  return r.keep ? 'kept' : r.reason;
};

describe('normalizeLicense', () => {
  it('maps every SPDX id it knows to itself, case-insensitively', () => {
    for (const id of PERMISSIVE_LICENSES) {
      expect(normalizeLicense(id)).toBe(id);
      expect(normalizeLicense(id.toLowerCase())).toBe(id);
      expect(normalizeLicense(id.toUpperCase())).toBe(id);
    }
    for (const id of ['GPL-3.0-only', 'GPL-3.0-or-later', 'LGPL-2.1-only', 'CC-BY-SA-4.0', 'CC-BY-NC-ND-4.0', 'MPL-2.0', 'MPL-1.1']) expect(normalizeLicense(id)).toBe(id);
  });

  it.each([
    ['Apache 2.0', 'Apache-2.0'],
    ['Apache License, Version 2.0', 'Apache-2.0'],
    ['apache-2', 'Apache-2.0'],
    ['apache2', 'Apache-2.0'],
    ['MIT License', 'MIT'],
    ['mit-0', 'MIT-0'],
    ['BSD 3-Clause', 'BSD-3-Clause'],
    ['3-clause BSD', 'BSD-3-Clause'],
    ['New BSD License', 'BSD-3-Clause'],
    ['GPLv3', 'GPL-3.0-only'],
    ['GPL-2.0', 'GPL-2.0-only'],
    ['GPL-2.0+', 'GPL-2.0-or-later'],
    ['LGPLv2.1', 'LGPL-2.1-only'],
    ['CC BY 4.0', 'CC-BY-4.0'],
    ['cc-by-sa-4.0', 'CC-BY-SA-4.0'],
    ['CC0', 'CC0-1.0'],
    ['The Unlicense', 'Unlicense'],
  ])('%s → %s', (alias, id) => expect(normalizeLicense(alias)).toBe(id));

  it('does not guess at names it does not know', () => {
    for (const name of ['research', 'proprietary', 'All rights reserved', 'Apache-3.0', 'CC BY', '']) expect(normalizeLicense(name), name).toBeNull();
  });
});

describe('the license rule', () => {
  const rule = createLicenseRule();

  it('keeps permissive licenses by default, in any common spelling, from doc.license or meta.license', () => {
    expect(rule.name).toBe('license');
    for (const l of ['MIT', 'apache 2.0', 'BSD-3-Clause', 'CC0-1.0', 'cc-by-4.0', 'ISC', 'unlicense']) expect(verdict(rule, l), l).toBe('kept');
    expect(rule.check(doc('MIT', 'meta'))).toEqual({ keep: true });
  });

  it('rejects known non-permissive licenses as license_not_allowed', () => {
    for (const l of ['GPL-3.0-only', 'GPLv2', 'AGPL-3.0-or-later', 'CC-BY-NC-4.0', 'CC-BY-SA-4.0', 'MPL-2.0']) expect(verdict(rule, l), l).toBe('license_not_allowed');
  });

  it('rejects missing, empty, non-string and unrecognized licenses as license_unknown', () => {
    for (const l of [undefined, '', '   ', 42, 'research', 'proprietary', 'GPL-2.0-only WITH Classpath-exception-2.0']) expect(verdict(rule, l), String(l)).toBe('license_unknown');
  });

  it('evaluates SPDX expressions: OR needs one allowed side, AND needs all', () => {
    expect(verdict(rule, 'MIT OR Apache-2.0')).toBe('kept');
    expect(verdict(rule, 'GPL-3.0-only OR MIT')).toBe('kept');
    expect(verdict(rule, 'Apache License 2.0 or GPLv3')).toBe('kept');
    expect(verdict(rule, 'MIT AND Apache-2.0')).toBe('kept');
    expect(verdict(rule, 'MIT AND GPL-3.0-only')).toBe('license_not_allowed');
    expect(verdict(rule, 'GPL-3.0-only OR AGPL-3.0-only')).toBe('license_not_allowed');
    expect(verdict(rule, 'GPL-3.0-only OR Foo')).toBe('license_unknown');
    expect(verdict(rule, 'MIT AND Foo')).toBe('license_unknown');
    expect(verdict(rule, 'CC-BY-NC-4.0 AND Foo')).toBe('license_not_allowed');
    expect(verdict(rule, '(MIT OR GPL-3.0-only) AND (BSD-2-Clause OR CC-BY-NC-4.0)')).toBe('kept');
    expect(verdict(rule, '(GPL-3.0-only OR CC-BY-NC-4.0) AND MIT')).toBe('license_not_allowed');
    expect(verdict(rule, 'MIT OR')).toBe('license_unknown');
  });

  it('takes a custom allow-list of SPDX ids, aliases and free-form tags', () => {
    const custom = createLicenseRule({ allow: ['GPLv3', 'research', 'Apache 2.0'] });
    expect(verdict(custom, 'GPL-3.0-only')).toBe('kept');
    expect(verdict(custom, 'Research')).toBe('kept');
    expect(verdict(custom, 'Apache-2.0')).toBe('kept');
    expect(verdict(custom, 'MIT')).toBe('license_not_allowed');
    expect(verdict(custom, 'GPL-3.0-or-later')).toBe('license_not_allowed');
    expect(verdict(custom, 'proprietary')).toBe('license_unknown');
  });

  it('validates its options with licenseOptions, naming the bad field', () => {
    expect(licenseOptions.parse({}).allow).toEqual([...PERMISSIVE_LICENSES]);
    expect(() => createLicenseRule({ allow: [] })).toThrow(/allow/);
    expect(licenseOptions.safeParse({ allow: ['MIT', ''] }).error?.issues[0]?.path).toEqual(['allow', 1]);
    expect(licenseOptions.safeParse({ deny: ['MIT'] }).success).toBe(false);
  });
});
