/**
 * `handshakeRateLimit`: validated and compiled at createApp into one `HandshakeLimiter` per gateway,
 * which the handshake asks right after routing (429 with `Retry-After` past the budget).
 * Built on `rate-limiter-flexible`; fails open when the limiter itself fails.
 * @module
 */
import type { RateLimiterAbstract, RateLimiterMemory } from 'rate-limiter-flexible';
import { GatewayDefinitionError } from '../errors';
import { INTERNAL_ERROR, type Rejection } from '../server/handshake';
import type { HandshakeRequest } from '../server/handshake-request';
import { authRejection } from './guard-result';
import type { HandshakeRateLimit, Logger, RateLimitKeyInput } from '../types';
import { addressKey } from './cidr';
import { RequestView } from './handshake-view';

/** The default key: the client's address, an IPv6 address by its /64 prefix. */
export function defaultRateLimitKey(h: Pick<RateLimitKeyInput, 'remoteAddress'>): string {
  return h.remoteAddress === undefined ? 'unknown' : addressKey(h.remoteAddress);
}

/** Validates a `handshakeRateLimit` option (of the app or of a gateway); throws `GatewayDefinitionError`. */
export function checkRateLimitOptions(owner: string, option: unknown): void {
  if (option === undefined || option === false) return;
  const fail = (problem: string) => new GatewayDefinitionError(`${owner}: handshakeRateLimit: ${problem}`);
  if (typeof option !== 'object' || option === null) throw fail('must be an object { points, duration } or { store }');
  const { points, duration, key, scope, store } = option as Record<string, unknown>;
  if (key !== undefined && typeof key !== 'function') throw fail('key must be a function returning a string');
  if (scope !== undefined && scope !== 'gateway' && scope !== 'app') throw fail(`scope must be 'gateway' or 'app', got ${String(scope)}`);
  if (store !== undefined) {
    const s = store as Partial<RateLimiterAbstract> | null;
    if (typeof s !== 'object' || s === null || typeof s.consume !== 'function') throw fail('store must be a limiter of rate-limiter-flexible');
    if (points !== undefined && points !== s.points) throw fail(`points (${String(points)}) differs from the store's (${String(s.points)}); leave it out`);
    if (duration !== undefined && duration !== s.duration) throw fail(`duration (${String(duration)}) differs from the store's (${String(s.duration)}); leave it out`);
    return;
  }
  if (!(Number.isInteger(points) && (points as number) >= 1)) throw fail(`points must be an integer ≥ 1, got ${String(points)}`);
  if (!(typeof duration === 'number' && Number.isFinite(duration) && duration > 0)) {
    throw fail(`duration must be a number of seconds > 0, got ${String(duration)}`);
  }
}

/** The budget of the gateways whose limit has scope 'app': one limiter per app, made by the first of them. */
export class AppRateLimitBudget {
  private shared: { readonly limiter: RateLimiterAbstract; readonly option: HandshakeRateLimit; readonly owner: string } | undefined;

  /** The app's limiter; throws when `option` disagrees with the one that made it. */
  limiterFor(owner: string, option: HandshakeRateLimit): RateLimiterAbstract {
    const first = this.shared;
    if (!first) {
      const limiter = limiterOf(option);
      this.shared = { limiter, option, owner };
      return limiter;
    }
    const same = option.store !== undefined || first.option.store !== undefined
      ? option.store === first.option.store
      : option.points === first.option.points && option.duration === first.option.duration;
    if (!same) {
      throw new GatewayDefinitionError(
        `${owner}: handshakeRateLimit with scope 'app' must have the points, duration and store of ${first.owner}'s: one budget is shared`,
      );
    }
    return first.limiter;
  }
}

function limiterOf(option: HandshakeRateLimit): RateLimiterAbstract {
  if (option.store !== undefined) return option.store;
  // Loaded on first use: the package's entry loads every limiter it has (~40 ms), which apps
  // without a memory rate limit should not pay at startup.
  const { RateLimiterMemory: Memory } = require('rate-limiter-flexible') as { RateLimiterMemory: typeof RateLimiterMemory };
  return new Memory({ points: option.points, duration: option.duration });
}

/** A gateway's compiled `handshakeRateLimit`: asked once per handshake that reaches it. */
export class HandshakeLimiter {
  /** Failed checks since the limiter last worked (they were let through); the first is logged. */
  private failures = 0;

  constructor(
    private readonly owner: string,
    private readonly limiter: RateLimiterAbstract,
    /** The budget's namespace in the limiter: the gateway's path, or the app's for scope 'app'. */
    private readonly prefix: string,
    private readonly key: ((h: RateLimitKeyInput) => string) | undefined,
  ) {}

  /**
   * Spends one point of the handshake's budget: nothing (pass), 429 past the budget (a refusal
   * `rejectWith: 'close'` applies to), 500 when `key` throws.
   */
  check(request: HandshakeRequest, params: Readonly<Record<string, string>>, logger: Logger): Promise<Rejection | undefined> | Rejection {
    let key: unknown;
    try {
      key = this.key ? this.key(new RequestView(request, params)) : defaultRateLimitKey(request);
      if (typeof key !== 'string') throw new TypeError(`returned ${typeof key}, not a string`);
    } catch (err) {
      logger.error(`wsgate: ${this.owner}: the handshakeRateLimit key function failed:`, err);
      return INTERNAL_ERROR;
    }
    return this.consume(this.prefix + key, logger);
  }

  private async consume(key: string, logger: Logger): Promise<Rejection | undefined> {
    try {
      await this.limiter.consume(key);
    } catch (res) {
      // rate-limiter-flexible rejects with a RateLimiterRes past the budget, with an Error when its store fails.
      const ms = (res as { msBeforeNext?: unknown } | null)?.msBeforeNext;
      if (!(res instanceof Error) && typeof ms === 'number') {
        const seconds = Math.max(1, Math.ceil(ms / 1000));
        return authRejection(429, `Too many handshakes: retry in ${seconds} s.`, { 'Retry-After': String(seconds) });
      }
      if (this.failures++ === 0) {
        logger.error(`wsgate: ${this.owner}: the handshake rate limiter failed; letting handshakes through until it works again:`, res);
      }
      return undefined;
    }
    if (this.failures > 0) {
      logger.warn(`wsgate: ${this.owner}: the handshake rate limiter works again (${this.failures} handshake(s) were let through unchecked)`);
      this.failures = 0;
    }
    return undefined;
  }
}

/** The gateway's limiter, or `undefined` without `handshakeRateLimit` or with `false` (validated by `checkRateLimitOptions`). */
export function compileRateLimit(
  def: { readonly name: string; readonly path: string | RegExp },
  option: HandshakeRateLimit | false | undefined,
  budget: AppRateLimitBudget,
): HandshakeLimiter | undefined {
  if (option === undefined || option === false) return undefined;
  if (option.scope === 'app') return new HandshakeLimiter(def.name, budget.limiterFor(def.name, option), 'app ', option.key);
  return new HandshakeLimiter(def.name, limiterOf(option), `gateway ${String(def.path)} `, option.key);
}
