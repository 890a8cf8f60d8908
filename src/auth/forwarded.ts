/**
 * The addresses a request passed through, as proxies record them in `X-Forwarded-For` or
 * `Forwarded` (RFC 7239). Never throws: an entry that is not an IP address is `undefined`.
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http';
import { isIPv4, isIPv6 } from 'node:net';
import { normalizeIp } from './cidr';

/**
 * One node as a proxy wrote it: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]`,
 * `[2001:db8::1]:4711` → the address; anything else (`unknown`, `_hidden`, garbage) → `undefined`.
 */
export function parseNode(node: string): string | undefined {
  let s = node.trim();
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end === -1 || !/^(:\d{1,5})?$/.test(s.slice(end + 1))) return undefined;
    s = s.slice(1, end);
    return isIPv6(s.split('%')[0]) ? s : undefined;
  }
  const colon = s.indexOf(':');
  // One colon: IPv4 with a port. More than one: a bare IPv6 address (no port possible).
  if (colon !== -1 && colon === s.lastIndexOf(':')) {
    if (!/^\d{1,5}$/.test(s.slice(colon + 1))) return undefined;
    s = s.slice(0, colon);
    return isIPv4(s) ? s : undefined;
  }
  return normalizeIp(s) === undefined ? undefined : s;
}

/** A header's value as one string (Node joins repeated X-Forwarded-For and Forwarded lines with ', '). */
function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Splits `text` at `separator` outside quoted strings (RFC 7230 quoted-string, with `\` escapes).
 * Returns `undefined` for an unterminated quoted string.
 */
function splitOutsideQuotes(text: string, separator: string): string[] | undefined {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && c === separator) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (quoted) return undefined;
  parts.push(text.slice(start));
  return parts;
}

/** A `Forwarded` parameter value: a token, or a quoted string unquoted. */
function unquote(value: string): string {
  const v = value.trim();
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\(.)/g, '$1');
  return v;
}

/** The `for=` node of each element of a `Forwarded` header, left to right (`undefined` where missing or not an IP address). */
export function parseForwarded(header: string): Array<string | undefined> {
  const elements = splitOutsideQuotes(header, ',');
  if (elements === undefined) return [undefined];
  return elements.map((element) => {
    for (const pair of splitOutsideQuotes(element, ';') ?? []) {
      const eq = pair.indexOf('=');
      if (eq !== -1 && pair.slice(0, eq).trim().toLowerCase() === 'for') return parseNode(unquote(pair.slice(eq + 1)));
    }
    return undefined;
  });
}

/**
 * The addresses a request was forwarded for, left (the first client) to right (the last proxy before
 * us): from `X-Forwarded-For`, or from `Forwarded` when there is no `X-Forwarded-For`. `undefined`
 * when the request has neither header.
 */
export function forwardedAddresses(headers: Readonly<IncomingHttpHeaders>): Array<string | undefined> | undefined {
  const xff = headerValue(headers['x-forwarded-for']);
  if (xff !== undefined) return xff.split(',').map(parseNode);
  const forwarded = headerValue(headers.forwarded);
  return forwarded === undefined ? undefined : parseForwarded(forwarded);
}
