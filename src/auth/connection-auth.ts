/**
 * Who an open connection is, and until when: the principal its guards set, the guard that set it
 * (the one asked to refresh it), and its expiry on the app's wheel. Refreshes go through `renew`,
 * from the contract's `$auth` request or from `conn.reauthenticate()`.
 * @module
 */
import { CloseCode, isThenable, noop } from '../constants';
import { handleUserError } from '../connection/handler-errors';
import type { Logger } from '../types';
import { CredentialExpiry } from './credential-expiry';
import type { ExpiryWheel } from './expiry-wheel';
import type { Guard, GuardResult } from './guard';
import { checkResult } from './guard-result';

/** Close reasons of credentials that expired or whose refresh was refused (code 4401). */
const EXPIRED_REASON = 'credentials expired';
const REFUSED_REASON = 'credentials refused';

/** What a connection offers its authentication: closing, and the gateway's @OnReauth. */
export interface AuthenticatedConnection {
  readonly isOpen: boolean;
  close(code?: number, reason?: string): Promise<void>;
}

/**
 * What the guarded connections of one gateway share, from their handshake on (made once per
 * gateway at createApp, not per connection).
 */
export interface AuthSettings {
  readonly wheel: ExpiryWheel;
  readonly logger: Logger;
  /** "ChatGateway", for log lines. */
  readonly gatewayName: string;
  /** The gateway's guards' class names, in order, for log lines. */
  readonly guardNames: readonly string[];
  /** ms before expiry at which `onExpiring` is called (contract gateways). */
  readonly refreshLead: number;
  /** Sends `$auth.expiring` on a connection (contract gateways only). */
  readonly onExpiring?: (conn: AuthenticatedConnection, expiresAt: number) => void;
  /** Calls the gateway's @OnReauth on an instance; `what` describes it for log lines. */
  readonly onReauth?: { readonly call: (instance: object, principal: unknown) => unknown; readonly what: string };
}

/** Set once the connection is open (after the 101). */
interface AuthContext {
  readonly settings: AuthSettings;
  readonly conn: AuthenticatedConnection;
  readonly instance: object;
}

/** The default identity rule of a refresh: the same `id` when both principals have one. */
function sameIdentityByDefault(a: unknown, b: unknown): boolean {
  const idOf = (p: unknown): unknown => (typeof p === 'object' && p !== null && 'id' in p ? (p as { id: unknown }).id : undefined);
  const ia = idOf(a);
  const ib = idOf(b);
  return ia === undefined || ib === undefined || ia === ib;
}

export class ConnectionAuth {
  private ctx: AuthContext | undefined;
  private expiry: CredentialExpiry | undefined;

  constructor(
    /** The current principal (`undefined` when no guard set one). */
    public principal: unknown,
    /** When the credentials expire, until the connection opens (then its expiry schedule holds it). */
    private initialExpiresAt: number | undefined,
    /** The guard that set the principal: the one asked to refresh it. */
    readonly guard: Guard | undefined,
    /** Its class name, for log lines. */
    readonly guardName: string,
  ) {}

  /** When the credentials in force expire (ms since the epoch), if they do. */
  get expiresAt(): number | undefined {
    return this.expiry ? this.expiry.expiresAt : this.initialExpiresAt;
  }

  /** The connection is open: its expiry starts counting on the app's wheel. */
  open(settings: AuthSettings, conn: AuthenticatedConnection, instance: object): void {
    this.ctx = { settings, conn, instance };
    this.setExpiry(this.initialExpiresAt);
    this.initialExpiresAt = undefined;
  }

  /** The connection ended: no deadline of it is left on the wheel. */
  end(): void {
    this.expiry?.stop();
    this.ctx = undefined;
  }

  /**
   * Asks the guard that set the principal to check `token` (a contract's `$auth` request) and applies
   * its answer as `renew` does. Resolves with the new expiry when accepted; `false` when refused (the
   * caller answers UNAUTHORIZED, then calls `refuse()`).
   */
  async refresh(token: string): Promise<{ expiresAt: number | undefined } | false> {
    const ctx = this.ctx;
    const guard = this.guard;
    if (!ctx) return false;
    const { logger, gatewayName } = ctx.settings;
    if (!guard?.refresh) {
      logger.debug?.(`wsgate: ${gatewayName}: a credentials refresh was refused: ${guard ? `guard ${this.guardName} has no refresh()` : 'no guard set a principal'}`);
      return false;
    }
    let result: unknown;
    try {
      const answer = guard.refresh(token, this.principal);
      result = isThenable(answer) ? await answer : answer;
    } catch (err) {
      logger.debug?.(`wsgate: ${gatewayName}: guard ${this.guardName}.refresh refused the token:`, err instanceof Error ? err.message : err);
      return false;
    }
    return (await this.apply(result as GuardResult)) ? { expiresAt: this.expiresAt } : false;
  }

  /**
   * Applies a refresh result (`conn.reauthenticate`): `{ principal, expiresAt? }` replaces the
   * principal and the expiry when it is the same identity; `true` keeps the principal and drops the
   * expiry; `false`, a changed identity, a past or invalid expiry refuse: the connection is closed
   * with 4401. Resolves with whether it was accepted, after @OnReauth has run.
   */
  async renew(result: GuardResult): Promise<boolean> {
    const accepted = await this.apply(result);
    if (!accepted) this.refuse();
    return accepted;
  }

  /** Closes the connection with 4401 "credentials refused". */
  refuse(): void {
    const conn = this.ctx?.conn;
    if (conn?.isOpen) conn.close(CloseCode.credentials, REFUSED_REASON).catch(noop);
  }

  private async apply(result: GuardResult): Promise<boolean> {
    const ctx = this.ctx;
    if (!ctx || !ctx.conn.isOpen) return false;
    if (result === false) return false;
    if (result === true) {
      this.setExpiry(undefined);
      return true;
    }
    const { logger, gatewayName, wheel } = ctx.settings;
    const where = `${gatewayName}: the refresh of guard ${this.guardName}`;
    const checked = checkResult(result, () => where, logger, wheel);
    if ('status' in checked) return false; // a past expiry, or a malformed result (logged)
    const same = this.guard?.sameIdentity ? this.guard.sameIdentity(this.principal, checked.principal) : sameIdentityByDefault(this.principal, checked.principal);
    if (!same) {
      logger.debug?.(`wsgate: ${where} changed the identity: refused`);
      return false;
    }
    this.principal = checked.principal;
    this.setExpiry(checked.expiresAt);
    await this.callOnReauth(ctx);
    return true;
  }

  private setExpiry(expiresAt: number | undefined): void {
    const ctx = this.ctx;
    if (!ctx) return;
    if (expiresAt === undefined) return this.expiry?.set(undefined);
    const { settings, conn } = ctx;
    const onExpiring = settings.onExpiring;
    this.expiry ??= new CredentialExpiry(
      settings.wheel,
      {
        onExpiring: onExpiring && ((expiresAt) => onExpiring(conn, expiresAt)),
        onExpired: () => {
          if (conn.isOpen) conn.close(CloseCode.credentials, EXPIRED_REASON).catch(noop);
        },
      },
      settings.refreshLead,
    );
    this.expiry.set(expiresAt);
  }

  private async callOnReauth(ctx: AuthContext): Promise<void> {
    const hook = ctx.settings.onReauth;
    if (!hook) return;
    try {
      const r = hook.call(ctx.instance, this.principal);
      if (isThenable(r)) await r;
    } catch (err) {
      handleUserError(ctx.conn, ctx.settings.logger, hook.what, err);
    }
  }
}
