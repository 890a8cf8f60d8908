/**
 * Connects a guarded connection's authentication to its gateway once it is open: expiry on the
 * app's wheel, `$auth.expiring` and the `$auth` refresh on contract gateways, and `@OnReauth`.
 * @module
 */
import type { AuthContext } from '../auth/connection-auth';
import type { ExpiryWheel } from '../auth/expiry-wheel';
import { kAuth, kSession } from '../constants';
import { MessageError } from '../errors';
import type { Logger } from '../types';
import type { Connection } from './connection';
import { describeHook, type GatewayDefinition } from './definition';

export function authContext(def: GatewayDefinition, conn: Connection, instance: object, wheel: ExpiryWheel, logger: Logger): AuthContext {
  const session = conn[kSession];
  if (session) {
    session.onAuth = async (token: string) => {
      const renewed = await conn[kAuth]!.refresh(token);
      if (!renewed) throw new MessageError('UNAUTHORIZED', 'the credentials were refused');
      return renewed;
    };
  }
  const reauth = def.hooks.reauth;
  return {
    conn,
    wheel,
    logger,
    gatewayName: def.name,
    refreshLead: def.refreshLead,
    onExpiring: session ? (expiresAt) => session.sendAuthExpiring(expiresAt) : undefined,
    onReauth: reauth === undefined
      ? undefined
      : { call: (p) => (instance as Record<string | symbol, (p: unknown) => unknown>)[reauth](p), what: describeHook(def, 'reauth') },
  };
}
