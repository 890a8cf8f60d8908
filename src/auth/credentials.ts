/**
 * Credentials as a handshake carries them: the bearer token (an `Authorization: Bearer` header, or
 * a `wsgate.bearer.<base64url>` subprotocol entry for browsers) and cookies. Malformed input never
 * throws: it reads as absent.
 * @module
 */
import { BEARER_PROTOCOL_PREFIX } from '../protocol/client/bearer';

/**
 * `Bearer` (any case), spaces, then the token: any visible ASCII, no spaces. RFC 6750's b64token is
 * narrower (no `:` or `%`, say), but opaque tokens of real issuers do not all keep to it; the guard
 * checks the token, this only cuts it out of the header.
 */
const AUTHORIZATION_BEARER = /^bearer +([\x21-\x7e]+) *$/i;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Whether a subprotocol entry carries a token (such an entry is never selected, echoed or logged). */
export function isBearerProtocol(entry: string): boolean {
  return entry.startsWith(BEARER_PROTOCOL_PREFIX);
}

/** The token of a `wsgate.bearer.*` entry: base64url (no padding) of UTF-8; `undefined` when malformed. */
export function decodeBearerProtocol(entry: string): string | undefined {
  const encoded = entry.slice(BEARER_PROTOCOL_PREFIX.length);
  // A length of 1 mod 4 is no base64 of anything.
  if (!BASE64URL.test(encoded) || encoded.length % 4 === 1) return undefined;
  try {
    const token = strictUtf8.decode(Buffer.from(encoded, 'base64url'));
    return token.length > 0 ? token : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The request's bearer token: the `Authorization: Bearer` header when present and well-formed,
 * else the one `wsgate.bearer.*` entry among the offered subprotocols (two such entries are
 * ambiguous and read as none).
 */
export function readBearerToken(authorization: string | undefined, offered: readonly string[]): string | undefined {
  if (authorization !== undefined) {
    const m = AUTHORIZATION_BEARER.exec(authorization);
    if (m) return m[1];
  }
  let found: string | undefined;
  for (const entry of offered) {
    if (!isBearerProtocol(entry)) continue;
    if (found !== undefined) return undefined;
    found = entry;
  }
  return found === undefined ? undefined : decodeBearerProtocol(found);
}

/**
 * Cookies by name from a `Cookie` header (RFC 6265 §5.4: `name=value` pairs split by `;`). The first
 * of repeated names wins, values in double quotes are unquoted, percent-encoding is decoded where
 * valid and kept as sent where not. Pairs without `=` are ignored.
 */
export function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = Object.create(null) as Record<string, string>;
  if (!header) return cookies;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1) continue;
    const name = pair.slice(0, eq).trim();
    if (name === '' || name in cookies) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    cookies[name] = decodeCookieValue(value);
  }
  return cookies;
}

function decodeCookieValue(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
