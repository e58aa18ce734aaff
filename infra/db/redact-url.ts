/**
 * Database URLs with their secrets hidden, fit for error messages and logs.
 * The password is what node-postgres would send, read with the WHATWG URL
 * parser it uses (so an empty user, or an `@`, `:` or `%40` in the password,
 * are found); when the text cannot be read that way, or an `@` lands past the
 * authority (a `/`, `?` or `#` in an unencoded password), everything between
 * the scheme and the last `@` is hidden. `password=` parameters and key=value
 * connection strings are hidden too.
 */

const MASK = '***';
/** Query parameters node-postgres / libpq read as secrets. */
const SECRET_PARAM = /^(password|sslpassword|passfile)$/i;

export function redactUrl(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url);
  if (!scheme) {
    const keywords = url.replace(/\b(password|sslpassword)(\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)/gi, `$1$2${MASK}`);
    return keywords.includes('@') ? textualRedact(keywords, 0) : keywords;
  }
  const parsed = URL.canParse(url) ? new URL(url) : null;
  const strayAt = parsed !== null && `${parsed.host}${parsed.pathname}${parsed.search}${parsed.hash}`.includes('@');
  if (parsed && !strayAt) {
    if (parsed.password !== '') parsed.password = MASK;
    for (const key of [...parsed.searchParams.keys()]) if (SECRET_PARAM.test(key)) parsed.searchParams.set(key, MASK);
    return parsed.href.replace(encodeURIComponent(MASK), MASK);
  }
  return textualRedact(url, scheme[0].length);
}

/** Hides the userinfo's password by position: the user is what precedes the first `:`, the host what follows the last `@`. */
function textualRedact(url: string, start: number): string {
  const rest = url.slice(start);
  const at = rest.lastIndexOf('@');
  const query = rest.replace(/([?&](?:password|sslpassword|passfile)=)[^&#]*/gi, `$1${MASK}`);
  if (at < 0) return url.slice(0, start) + query;
  const userinfo = rest.slice(0, at);
  const colon = userinfo.indexOf(':');
  const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
  const tail = rest.slice(at).replace(/([?&](?:password|sslpassword|passfile)=)[^&#]*/gi, `$1${MASK}`);
  return `${url.slice(0, start)}${user}${colon < 0 ? '' : `:${MASK}`}${tail}`;
}
