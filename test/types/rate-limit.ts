/**
 * Compile-time tests of `handshakeRateLimit` and `trustProxy`, checked by `tsc -p test/types` (part
 * of `npm test`). Each `@ts-expect-error` fails the build if its line compiles.
 */
import 'reflect-metadata';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { AppOptions, GatewayOptions, HandshakeRateLimit, RateLimitKeyInput, TrustProxy } from '../../src';

const store = new RateLimiterMemory({ points: 5, duration: 10 });

export const limits: HandshakeRateLimit[] = [
  { points: 20, duration: 10 },
  { points: 20, duration: 10, scope: 'app', key: (h) => `${h.params.room}:${h.remoteAddress ?? ''}:${String(h.headers['x-user'])}` },
  { store },
  { store, points: 5, duration: 10, scope: 'gateway' },
  // @ts-expect-error points and duration are needed without a store
  { points: 20 },
  // @ts-expect-error a key returns a string
  { points: 1, duration: 1, key: () => 42 },
  // @ts-expect-error scope is 'gateway' or 'app'
  { points: 1, duration: 1, scope: 'node' },
];

/** The key function sees the snapshot and params, not the guard's credentials. */
export function keyOf(h: RateLimitKeyInput): string {
  // @ts-expect-error the bearer token is no key input
  void h.bearerToken;
  return `${h.query.get('v') ?? ''}${h.url}${h.method}${String(h.encrypted)}`;
}

export const gateway: GatewayOptions = { handshakeRateLimit: { points: 1, duration: 1 } };
export const proxies: TrustProxy[] = [false, 1, ['10.0.0.0/8', 'fd00::/8']];
export const app: Partial<AppOptions> = { trustProxy: ['loopback'], handshakeRateLimit: { store } };
// @ts-expect-error trusting every proxy is not offered
export const everyProxy: Partial<AppOptions> = { trustProxy: true };
