/**
 * Connects a guarded connection's authentication to its gateway once it is open: expiry on the
 * app's wheel, `$auth.expiring` and the `$auth` refresh on contract gateways, and `@OnReauth`.
 * @module
 */
import type { AuthenticatedConnection, AuthSettings } from '../auth/connection-auth';
import type { ExpiryWheel } from '../auth/expiry-wheel';
import { kAuth, kSession } from '../constants';
import { MessageError } from '../errors';
import type { Logger } from '../types';
import type { Connection } from './connection';
import { describeHook, type GatewayDefinition } from './definition';

/** What the authenticated connections of gateway `def` share: made once per gateway. */
export function authSettings(def: GatewayDefinition, wheel: ExpiryWheel, logger: Logger): AuthSettings {
  const reauth = def.hooks.reauth;
  return {
    wheel,
    logger,
    gatewayName: def.name,
    guardNames: def.guards.map((g) => g.name || '(anonymous guard)'),
    refreshLead: def.refreshLead,
    onExpiring: def.contract ? (conn: AuthenticatedConnection, expiresAt: number) => (conn as Connection)[kSession]?.sendAuthExpiring(expiresAt) : undefined,
    onReauth: reauth === undefined
      ? undefined
      : { call: (instance, p) => (instance as Record<string | symbol, (p: unknown) => unknown>)[reauth](p), what: describeHook(def, 'reauth') },
  };
}

/** Starts an open connection's authentication: its deadlines, and on contract gateways the `$auth` refresh. */
export function startAuthentication(settings: AuthSettings, conn: Connection, instance: object): void {
  const auth = conn[kAuth];
  if (!auth) return;
  const session = conn[kSession];
  if (session) {
    session.onAuth = async (token: string) => {
      const renewed = await auth.refresh(token);
      if (!renewed) throw new MessageError('UNAUTHORIZED', 'the credentials were refused');
      return renewed;
    };
  }
  auth.open(settings, conn, instance);
}
