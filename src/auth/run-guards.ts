/**
 * The guards step of the handshake: each guard of the gateway, in order, built in the connection's
 * scope, answers pass, refuse, or pass with a principal. Guard mistakes are answered 500 and
 * logged with the guard's name; nothing a guard does can crash the server.
 * @module
 */
import { STATUS_CODES } from 'node:http';
import { isThenable } from '../constants';
import { HandshakeRejection } from '../errors';
import { reject, type Rejection } from '../server/handshake';
import type { Logger } from '../types';
import type { Guard, GuardResult } from './guard';
import type { HandshakeView } from './handshake-view';

/** Who the connection is, as the guards decided: kept on the connection while it is open. */
export interface AuthState {
  /** The current principal (`undefined` when no guard set one). */
  principal: unknown;
  /** When the credentials expire (ms since the epoch), if a guard said so. */
  expiresAt: number | undefined;
  /** The guard that set the principal: the one asked to refresh it. */
  readonly guard: Guard | undefined;
  /** Its class name, for log lines. */
  readonly guardName: string;
}

/** What the guards step needs of the gateway and the connection being built. */
export interface GuardsContext {
  readonly gatewayName: string;
  readonly guardNames: readonly string[];
  readonly view: HandshakeView;
  /** Builds guard `index` in the connection's scope. */
  build(index: number): object;
  /** Makes `principal` what `Principal` resolves to from now on. */
  setPrincipal(principal: unknown): void;
  readonly logger: Logger;
  readonly now: () => number;
}

const INTERNAL = reject(500, 'Internal Server Error');
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** A refusal that `rejectWith: 'close'` may send as a close frame (4000 + status). */
export function authRejection(status: number, message: string, headers?: Record<string, string>): Rejection {
  return { status, message, headers, fromAuth: true };
}

const FORBIDDEN = authRejection(403, 'Forbidden');
const EXPIRED = authRejection(401, 'credentials expired');

/**
 * Runs the guards in order. Resolves with the connection's `AuthState` when all pass, or with the
 * refusal: a `HandshakeRejection`'s status, 403 for `false`, 401 for credentials already expired,
 * 500 (logged) for anything else.
 */
export async function runGuards(ctx: GuardsContext): Promise<AuthState | Rejection> {
  return guardsOutcome(ctx);
}

/**
 * `runGuards` without a promise while the guards answer synchronously (a promise from the first
 * guard that answers with one), so that a handshake step can stay synchronous.
 */
export function guardsOutcome(ctx: GuardsContext, from = 0, state?: AuthState): AuthState | Rejection | Promise<AuthState | Rejection> {
  for (let i = from; i < ctx.guardNames.length; i++) {
    let guard: Guard;
    let answer: unknown;
    try {
      guard = ctx.build(i) as Guard;
      answer = guard.authenticate(ctx.view);
    } catch (err) {
      return refusalFor(err, where(ctx, i), ctx.logger);
    }
    if (isThenable(answer)) return settle(ctx, i, guard, answer, state);
    const next = apply(ctx, i, guard, answer, state);
    if (next && 'status' in next) return next;
    state = next;
  }
  return state ?? { principal: undefined, expiresAt: undefined, guard: undefined, guardName: '' };
}

/** Guard `i` answered with a promise: awaits it, then runs the rest. */
async function settle(ctx: GuardsContext, i: number, guard: Guard, answer: PromiseLike<unknown>, state: AuthState | undefined): Promise<AuthState | Rejection> {
  let result: unknown;
  try {
    result = await answer;
  } catch (err) {
    return refusalFor(err, where(ctx, i), ctx.logger);
  }
  const next = apply(ctx, i, guard, result, state);
  if (next && 'status' in next) return next;
  return guardsOutcome(ctx, i + 1, next);
}

/** Guard `i`'s result: the refusal, or the state from now on (the first principal stands; later guards only approve). */
function apply(ctx: GuardsContext, i: number, guard: Guard, result: unknown, state: AuthState | undefined): AuthState | Rejection | undefined {
  if (result === true) return state;
  if (result === false) return FORBIDDEN;
  // A result object: checked before it counts, even from a guard whose principal would not.
  const checked = checkResult(result, where(ctx, i), ctx);
  if ('status' in checked) return checked;
  if (state) return state;
  ctx.view.principal = checked.principal;
  ctx.setPrincipal(checked.principal);
  return { principal: checked.principal, expiresAt: checked.expiresAt, guard, guardName: ctx.guardNames[i] };
}

/** Where a guard's mistake happened, for its log line (made only when one is logged). */
function where(ctx: Pick<GuardsContext, 'gatewayName' | 'guardNames'>, index: number): string {
  return `${ctx.gatewayName}: guard ${ctx.guardNames[index]}`;
}

/** A result object: a principal and, if given, a finite expiry that is not past. */
export function checkResult(
  result: unknown,
  where: string,
  ctx: Pick<GuardsContext, 'logger' | 'now'>,
): { principal: unknown; expiresAt: number | undefined } | Rejection {
  if (typeof result !== 'object' || result === null || !('principal' in result)) {
    ctx.logger.error(`wsgate: ${where} returned ${describe(result)}; a guard returns true, false or { principal, expiresAt? }`);
    return INTERNAL;
  }
  const { principal, expiresAt } = result as Exclude<GuardResult, boolean>;
  if (expiresAt !== undefined && !(typeof expiresAt === 'number' && Number.isFinite(expiresAt))) {
    ctx.logger.error(`wsgate: ${where} returned expiresAt ${describe(expiresAt)}; it must be a finite number of ms since the epoch`);
    return INTERNAL;
  }
  if (expiresAt !== undefined && expiresAt <= ctx.now()) return EXPIRED;
  return { principal, expiresAt };
}

/** A guard's exception as an answer: its HandshakeRejection when well-formed, else 500 and a log line. */
export function refusalFor(err: unknown, where: string, logger: Logger): Rejection {
  if (!(err instanceof HandshakeRejection)) {
    logger.error(`wsgate: ${where} failed:`, err);
    return INTERNAL;
  }
  const { status, headers } = err;
  if (!Number.isInteger(status) || status < 400 || status > 599) {
    logger.error(`wsgate: ${where} threw a HandshakeRejection with status ${String(status)}; it must be 400–599`);
    return INTERNAL;
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!HEADER_NAME.test(name) || typeof value !== 'string' || !HEADER_VALUE.test(value)) {
      logger.error(`wsgate: ${where} threw a HandshakeRejection with an invalid header ${JSON.stringify(name)} (CR, LF or other control characters)`);
      return INTERNAL;
    }
    out[name] = value;
  }
  return authRejection(status, err.message || (STATUS_CODES[status] ?? 'Refused'), out);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'an array' : 'an object without principal';
  return String(value);
}
