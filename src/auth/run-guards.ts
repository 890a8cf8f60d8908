/**
 * The guards step of the handshake: each guard of the gateway, in order, built in the connection's
 * scope, answers pass, refuse, or pass with a principal. Guard mistakes are answered 500 and
 * logged with the guard's name; nothing a guard does can crash the server.
 * @module
 */
import { isThenable } from '../constants';
import type { Rejection } from '../server/handshake';
import { ConnectionAuth, type AuthSettings } from './connection-auth';
import type { Guard } from './guard';
import { checkResult, FORBIDDEN, refusalFor } from './guard-result';
import type { HandshakeView } from './handshake-view';

/** What the guards step needs of the gateway: its auth settings, made once at createApp. */
export type GuardedGateway = Pick<AuthSettings, 'gatewayName' | 'guardNames' | 'logger' | 'wheel'>;

/** The connection being built: builds guard `index`, and makes a principal what `Principal` resolves to from now on. */
export interface GuardScope {
  guard(index: number): object;
  setPrincipal(principal: unknown): void;
}

/**
 * Runs the guards in order: the connection's `ConnectionAuth` when all pass, or the refusal (a
 * `HandshakeRejection`'s status, 403 for `false`, 401 for credentials already expired, 500 and a log
 * line for anything else). Without a promise while the guards answer synchronously (a promise from
 * the first guard that answers with one), so that the handshake step stays synchronous.
 */
export function guardsOutcome(
  gw: GuardedGateway,
  view: HandshakeView,
  scope: GuardScope,
  from = 0,
  decided?: ConnectionAuth,
): ConnectionAuth | Rejection | Promise<ConnectionAuth | Rejection> {
  for (let i = from; i < gw.guardNames.length; i++) {
    let guard: Guard;
    let answer: unknown;
    try {
      guard = scope.guard(i) as Guard;
      answer = guard.authenticate(view);
    } catch (err) {
      return refusalFor(err, where(gw, i), gw.logger);
    }
    if (isThenable(answer)) return settle(gw, view, scope, i, guard, answer, decided);
    const next = apply(gw, view, scope, i, guard, answer, decided);
    if (next && 'status' in next) return next;
    decided = next;
  }
  return decided ?? new ConnectionAuth(undefined, undefined, undefined, '');
}

/** Guard `i` answered with a promise: awaits it, then runs the rest. */
async function settle(
  gw: GuardedGateway,
  view: HandshakeView,
  scope: GuardScope,
  i: number,
  guard: Guard,
  answer: PromiseLike<unknown>,
  decided: ConnectionAuth | undefined,
): Promise<ConnectionAuth | Rejection> {
  let result: unknown;
  try {
    result = await answer;
  } catch (err) {
    return refusalFor(err, where(gw, i), gw.logger);
  }
  const next = apply(gw, view, scope, i, guard, result, decided);
  if (next && 'status' in next) return next;
  return guardsOutcome(gw, view, scope, i + 1, next);
}

/** Guard `i`'s result: the refusal, or the decision from now on (the first principal stands; later guards only approve). */
function apply(
  gw: GuardedGateway,
  view: HandshakeView,
  scope: GuardScope,
  i: number,
  guard: Guard,
  result: unknown,
  decided: ConnectionAuth | undefined,
): ConnectionAuth | Rejection | undefined {
  if (result === true) return decided;
  if (result === false) return FORBIDDEN;
  // A result object: checked before it counts, even from a guard whose principal would not.
  const checked = checkResult(result, () => where(gw, i), gw.logger, gw.wheel);
  if ('status' in checked) return checked;
  if (decided) return decided;
  view.principal = checked.principal;
  scope.setPrincipal(checked.principal);
  return new ConnectionAuth(checked.principal, checked.expiresAt, guard, gw.guardNames[i]);
}

/** Where a guard's mistake happened, for its log line (made only when one is logged). */
function where(gw: GuardedGateway, index: number): string {
  return `${gw.gatewayName}: guard ${gw.guardNames[index]}`;
}
