/**
 * The bearer tokens of the `handshake-guard` benchmark: `base64url(JSON claims) + '.' +
 * base64url(HMAC-SHA256(key, first part))`, the shape of an HS256 JWT without its header. The
 * client signs one token; the server's guard verifies it on every handshake (constant-time compare).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface Claims {
  /** Who the token is for. */
  readonly sub: string;
  /** Expiry, seconds since the epoch. */
  readonly exp: number;
}

/** Shared by the bench's server and client only. */
const KEY = Buffer.from('wsgate-bench-hmac-key-not-a-secret-0123456789');

export function signToken(claims: Claims): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${payload}.${createHmac('sha256', KEY).update(payload).digest('base64url')}`;
}

/** The token's claims when its signature is right and it has not expired at `nowMs`; else undefined. */
export function verifyToken(token: string, nowMs: number): Claims | undefined {
  return checkToken(token, nowMs, true);
}

/**
 * A diagnostic, never a check (`handshake-guard-split` splits the guard's cost with it): the same work
 * as `verifyToken` but the HMAC (the signature is decoded, its length checked and nothing more), so
 * what the token's parsing costs by itself.
 */
export function parseTokenUnchecked(token: string, nowMs: number): Claims | undefined {
  return checkToken(token, nowMs, false);
}

/** The check itself; `withHmac` false for the diagnostic only. */
function checkToken(token: string, nowMs: number, withHmac: boolean): Claims | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0) return undefined;
  const payload = token.slice(0, dot);
  const signature = Buffer.from(token.slice(dot + 1), 'base64url');
  if (withHmac) {
    const expected = createHmac('sha256', KEY).update(payload).digest();
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) return undefined;
  } else if (signature.length !== 32) {
    return undefined;
  }
  let claims: Partial<Claims> | null;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<Claims> | null;
  } catch {
    return undefined;
  }
  if (typeof claims?.sub !== 'string' || typeof claims.exp !== 'number' || claims.exp * 1000 <= nowMs) return undefined;
  return { sub: claims.sub, exp: claims.exp };
}
