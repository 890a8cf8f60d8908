/**
 * The bearer token as a subprotocol entry, for browsers (which cannot set headers). No imports.
 * @module
 */

/** The prefix of the subprotocol entry that carries a bearer token. */
export const BEARER_PROTOCOL_PREFIX = 'wsgate.bearer.';

/** `wsgate.bearer.` + base64url of the token's UTF-8 bytes, without padding. */
export function bearerProtocol(token: string): string {
  const bytes = new TextEncoder().encode(token);
  let binary = '';
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
  const base64 = btoa(binary);
  return BEARER_PROTOCOL_PREFIX + base64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
