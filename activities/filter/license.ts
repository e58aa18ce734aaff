/**
 * License allow-list rule: keeps a document only when its license is one the recipe allows. Licenses are SPDX
 * identifiers, matched case-insensitively, with common spellings (`Apache 2.0`, `MIT License`, `GPLv3`, `CC BY 4.0`)
 * normalized to their SPDX id, and simple SPDX expressions (`MIT OR Apache-2.0`, `A AND (B OR C)`) understood.
 */
import { z } from 'zod';
import type { Doc, FilterRule, RuleResult } from './rules/types.ts';

/** Permissive licenses: the default allow-list (code and data licenses that allow reuse with attribution at most). */
export const PERMISSIVE_LICENSES: readonly string[] = [
  'MIT', 'MIT-0', 'Apache-2.0', 'BSD-2-Clause', 'BSD-3-Clause', '0BSD', 'ISC', 'Unlicense', 'Zlib', 'BSL-1.0',
  'PSF-2.0', 'Python-2.0', 'PostgreSQL', 'UPL-1.0', 'NCSA', 'X11', 'CC0-1.0', 'CC-BY-3.0', 'CC-BY-4.0', 'PDDL-1.0',
  'ODC-By-1.0',
];

/** Known SPDX ids that are not permissive: recognized (so they reject as `license_not_allowed`), not allowed by default. */
const OTHER_SPDX = [
  'GPL-2.0-only', 'GPL-2.0-or-later', 'GPL-3.0-only', 'GPL-3.0-or-later', 'LGPL-2.1-only', 'LGPL-2.1-or-later',
  'LGPL-3.0-only', 'LGPL-3.0-or-later', 'AGPL-3.0-only', 'AGPL-3.0-or-later', 'MPL-1.1', 'MPL-2.0', 'EPL-1.0', 'EPL-2.0',
  'CDDL-1.0', 'EUPL-1.2', 'Artistic-2.0', 'OFL-1.1', 'SSPL-1.0', 'BUSL-1.1', 'ODbL-1.0', 'GFDL-1.3-only',
  'CC-BY-SA-3.0', 'CC-BY-SA-4.0', 'CC-BY-NC-3.0', 'CC-BY-NC-4.0', 'CC-BY-NC-SA-3.0', 'CC-BY-NC-SA-4.0', 'CC-BY-ND-4.0',
  'CC-BY-NC-ND-4.0',
];

/** Deprecated SPDX ids and common names → the SPDX id they mean (keys in {@link aliasKey} form). */
const ALIASES: Record<string, string> = {
  gpl2: 'GPL-2.0-only', 'gpl2+': 'GPL-2.0-or-later', gpl3: 'GPL-3.0-only', 'gpl3+': 'GPL-3.0-or-later',
  'lgpl2.1': 'LGPL-2.1-only', 'lgpl2.1+': 'LGPL-2.1-or-later', lgpl3: 'LGPL-3.0-only', 'lgpl3+': 'LGPL-3.0-or-later',
  agpl3: 'AGPL-3.0-only', 'agpl3+': 'AGPL-3.0-or-later', apache: 'Apache-2.0', bsd: 'BSD-3-Clause', newbsd: 'BSD-3-Clause',
  modifiedbsd: 'BSD-3-Clause', '3clausebsd': 'BSD-3-Clause', simplifiedbsd: 'BSD-2-Clause', freebsd: 'BSD-2-Clause',
  '2clausebsd': 'BSD-2-Clause', expat: 'MIT', mpl: 'MPL-2.0', cc0: 'CC0-1.0', publicdomain: 'CC0-1.0', boost: 'BSL-1.0',
  unlicensed: 'Unlicense',
};

/**
 * The key spellings are compared by: lowercase; the words "the", "license"/"licence", "version" and any `v` before
 * a digit dropped; `.0` after a number dropped; everything but letters, digits, `.` and `+` removed. So
 * `Apache License, Version 2.0`, `apache-2` and `Apache-2.0` all become `apache2`.
 */
function aliasKey(s: string): string {
  return s
    .toLowerCase()
    .replace(/\b(?:the|licen[cs]e|version)\b/g, '')
    .replace(/v(?=\d)/g, '')
    .replace(/(\d)\.0(?!\d)/g, '$1')
    .replace(/[^a-z0-9.+]/g, '');
}

const SPDX_BY_KEY = new Map<string, string>();
for (const id of [...PERMISSIVE_LICENSES, ...OTHER_SPDX]) SPDX_BY_KEY.set(aliasKey(id), id);
for (const [alias, id] of Object.entries(ALIASES)) if (!SPDX_BY_KEY.has(alias)) SPDX_BY_KEY.set(alias, id);

/** The SPDX id a license string names (`'apache 2.0'` → `'Apache-2.0'`), or `null` when it is not one Braise knows. */
export function normalizeLicense(license: string): string | null {
  return SPDX_BY_KEY.get(aliasKey(license)) ?? null;
}

/** Options of the `license` rule. */
export const licenseOptions = z
  .object({
    /**
     * Licenses to keep: SPDX ids or their common spellings, or any other tag your data carries (such as Brown's
     * `research`), matched case-insensitively. Default {@link PERMISSIVE_LICENSES}.
     */
    allow: z.array(z.string().trim().min(1)).min(1).default([...PERMISSIVE_LICENSES]),
  })
  .strict();
export type LicenseOptions = z.output<typeof licenseOptions>;

type Verdict = 'allowed' | 'not_allowed' | 'unknown';

/** Evaluates an SPDX expression: OR keeps the best verdict of its sides, AND the worst (unknown between the two). */
function evaluate(expression: string, leaf: (id: string) => Verdict): Verdict {
  // Parentheses, the operators, and license names (which may contain spaces: `Apache License 2.0 OR MIT`).
  const tokens = expression.match(/\(|\)|(?:and|or)(?=[\s()]|$)|[^\s()]+(?:\s+(?!(?:and|or)(?:[\s()]|$))[^\s()]+)*/gi) ?? [];
  let at = 0;
  const rank: Record<Verdict, number> = { not_allowed: 0, unknown: 1, allowed: 2 };
  const combine = (a: Verdict, b: Verdict, op: 'and' | 'or'): Verdict => ((rank[a] < rank[b]) === (op === 'and') ? a : b);
  const primary = (): Verdict => {
    const t = tokens[at++];
    if (t === undefined || t === ')') return 'unknown';
    if (t === '(') {
      const v = disjunction();
      if (tokens[at] === ')') at++;
      return v;
    }
    return leaf(t);
  };
  const conjunction = (): Verdict => {
    let v = primary();
    while (tokens[at]?.toLowerCase() === 'and') {
      at++;
      v = combine(v, primary(), 'and');
    }
    return v;
  };
  const disjunction = (): Verdict => {
    let v = conjunction();
    while (tokens[at]?.toLowerCase() === 'or') {
      at++;
      v = combine(v, conjunction(), 'or');
    }
    return v;
  };
  const v = disjunction();
  return at === tokens.length ? v : 'unknown';
}

/** The license a document declares: `doc.license`, else `doc.meta.license`. */
function licenseOf(doc: Doc): unknown {
  if ('license' in doc && doc.license !== undefined) return doc.license;
  return doc.meta?.license;
}

/**
 * The `license` rule. A document is kept when its license (`doc.license`, else `meta.license`) is allowed; an SPDX
 * expression is kept when it can be satisfied with allowed licenses (`MIT OR GPL-3.0-only` is kept by default).
 * Otherwise it is rejected with `license_not_allowed` when recognized licenses outside the list decide it
 * (`GPL-3.0-only`; `MIT AND GPL-3.0-only`; `CC-BY-NC-4.0 AND Foo`), or `license_unknown` when the license is
 * missing, empty, or hinges on a name Braise does not recognize (`Foo`; `GPL-3.0-only OR Foo`; `MIT AND Foo`).
 * `WITH` exceptions are not understood (unknown). Bad options throw the schema's ZodError.
 */
export function createLicenseRule(opts: { allow?: string[] } = {}): FilterRule {
  const { allow } = licenseOptions.parse(opts);
  const allowedIds = new Set<string>();
  const allowedTags = new Set<string>();
  for (const entry of allow) {
    const id = normalizeLicense(entry);
    if (id) allowedIds.add(id);
    else allowedTags.add(entry.toLowerCase());
  }
  const leaf = (name: string): Verdict => {
    if (allowedTags.has(name.toLowerCase())) return 'allowed';
    const id = normalizeLicense(name);
    if (id === null) return 'unknown';
    return allowedIds.has(id) ? 'allowed' : 'not_allowed';
  };
  return {
    name: 'license',
    check(doc: Doc): RuleResult {
      const license = licenseOf(doc);
      if (typeof license !== 'string' || license.trim() === '') return { keep: false, reason: 'license_unknown' };
      // A whole string that is a known name (`Apache License, Version 2.0`) is one license, whatever its words.
      const whole = allowedTags.has(license.trim().toLowerCase()) || normalizeLicense(license) !== null;
      const verdict = whole ? leaf(license.trim()) : evaluate(license, leaf);
      if (verdict === 'allowed') return { keep: true };
      return { keep: false, reason: verdict === 'not_allowed' ? 'license_not_allowed' : 'license_unknown' };
    },
  };
}
