/**
 * The guards step of the handshake: each guard of the gateway, in order, built in the connection's
 * scope, answers pass, refuse, or pass with a principal. Guard mistakes are answered 500 and
 * logged with the guard's name; nothing a guard does can crash the server.
 * @module
 */
import { isThenable } from '../constants';
import type { Rejection } from '../server/handshake';
import type { Logger } from '../types';
import { ConnectionAuth } from './connection-auth';
import type { Guard } from './guard';
import { checkResult, FORBIDDEN, refusalFor } from './guard-result';
import type { HandshakeView } from './handshake-view';

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

/**
 * Runs the guards in order: the connection's `ConnectionAuth` when all pass, or the refusal (a
 * `HandshakeRejection`'s status, 403 for `false`, 401 for credentials already expired, 500 and a log
 * line for anything else). Without a promise while the guards answer synchronously (a promise from
 * the first guard that answers with one), so that the handshake step stays synchronous.
 */
export function guardsOutcome(ctx: GuardsContext, from = 0, decided?: ConnectionAuth): ConnectionAuth | Rejection | Promise<ConnectionAuth | Rejection> {
  for (let i = from; i < ctx.guardNames.length; i++) {
    let guard: Guard;
    let answer: unknown;
    try {
      guard = ctx.build(i) as Guard;
      answer = guard.authenticate(ctx.view);
    } catch (err) {
      return refusalFor(err, where(ctx, i), ctx.logger);
    }
    if (isThenable(answer)) return settle(ctx, i, guard, answer, decided);
    const next = apply(ctx, i, guard, answer, decided);
    if (next && 'status' in next) return next;
    decided = next;
  }
  return decided ?? new ConnectionAuth(undefined, undefined, undefined, '');
}

/** Guard `i` answered with a promise: awaits it, then runs the rest. */
async function settle(
  ctx: GuardsContext,
  i: number,
  guard: Guard,
  answer: PromiseLike<unknown>,
  decided: ConnectionAuth | undefined,
): Promise<ConnectionAuth | Rejection> {
  let result: unknown;
  try {
    result = await answer;
  } catch (err) {
    return refusalFor(err, where(ctx, i), ctx.logger);
  }
  const next = apply(ctx, i, guard, result, decided);
  if (next && 'status' in next) return next;
  return guardsOutcome(ctx, i + 1, next);
}

/** Guard `i`'s result: the refusal, or the decision from now on (the first principal stands; later guards only approve). */
function apply(ctx: GuardsContext, i: number, guard: Guard, result: unknown, decided: ConnectionAuth | undefined): ConnectionAuth | Rejection | undefined {
  if (result === true) return decided;
  if (result === false) return FORBIDDEN;
  // A result object: checked before it counts, even from a guard whose principal would not.
  const checked = checkResult(result, where(ctx, i), ctx);
  if ('status' in checked) return checked;
  if (decided) return decided;
  ctx.view.principal = checked.principal;
  ctx.setPrincipal(checked.principal);
  return new ConnectionAuth(checked.principal, checked.expiresAt, guard, ctx.guardNames[i]);
}

/** Where a guard's mistake happened, for its log line (made only when one is logged). */
function where(ctx: Pick<GuardsContext, 'gatewayName' | 'guardNames'>, index: number): string {
  return `${ctx.gatewayName}: guard ${ctx.guardNames[index]}`;
}
