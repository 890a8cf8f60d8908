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
 * Runs the guards in order. Resolves with the connection's `ConnectionAuth` when all pass, or with the
 * refusal: a `HandshakeRejection`'s status, 403 for `false`, 401 for credentials already expired,
 * 500 (logged) for anything else.
 */
export async function runGuards(ctx: GuardsContext): Promise<ConnectionAuth | Rejection> {
  let decided: ConnectionAuth | undefined;
  for (let i = 0; i < ctx.guardNames.length; i++) {
    const where = `${ctx.gatewayName}: guard ${ctx.guardNames[i]}`;
    let result: unknown;
    let guard: Guard;
    try {
      guard = ctx.build(i) as Guard;
      const answer = guard.authenticate(ctx.view);
      result = isThenable(answer) ? await answer : answer;
    } catch (err) {
      return refusalFor(err, where, ctx.logger);
    }
    if (result === true) continue;
    if (result === false) return FORBIDDEN;
    const checked = checkResult(result, where, ctx);
    if ('status' in checked) return checked;
    if (decided) continue; // the first principal stands; later guards only approve
    decided = new ConnectionAuth(checked.principal, checked.expiresAt, guard, ctx.guardNames[i]);
    ctx.view.principal = checked.principal;
    ctx.setPrincipal(checked.principal);
  }
  return decided ?? new ConnectionAuth(undefined, undefined, undefined, '');
}

