/**
 * The two deadlines of one authenticated connection on the app's expiry wheel: the `$auth.expiring`
 * warning (contract gateways) and the expiry itself (close 4401). No imports of Node.
 * @module
 */
import { DEFAULTS } from '../constants';
import type { ExpiryWheel, WheelEntry } from './expiry-wheel';

/** At most one warning per this many ms on a connection. */
export const MIN_WARNING_INTERVAL = 5_000;

/**
 * When to warn of an expiry at `expiresAt`: `min(refreshLead, remaining / 2)` before it, not
 * sooner than `MIN_WARNING_INTERVAL` after the previous warning; `undefined` when that leaves no
 * time before the expiry (or it has passed).
 */
export function warningTime(expiresAt: number, now: number, refreshLead: number, lastWarning: number | undefined): number | undefined {
  const remaining = expiresAt - now;
  if (!(remaining > 0)) return undefined;
  let at = expiresAt - Math.min(refreshLead, remaining / 2);
  if (lastWarning !== undefined) at = Math.max(at, lastWarning + MIN_WARNING_INTERVAL);
  return at < expiresAt ? at : undefined;
}

/** What a connection does at its deadlines. */
export interface CredentialExpiryHooks {
  /** Sends `$auth.expiring` with the expiry; left out (raw gateways), no warning is scheduled. */
  onExpiring?(expiresAt: number): void;
  /** The credentials expired unrefreshed: close with 4401 "credentials expired". */
  onExpired(): void;
}

export class CredentialExpiry {
  private current: number | undefined;
  private lastWarning: number | undefined;
  private readonly warning: WheelEntry = { onDeadline: () => this.warn() };
  private readonly expiry: WheelEntry = { onDeadline: () => this.expire() };

  constructor(
    private readonly wheel: ExpiryWheel,
    private readonly hooks: CredentialExpiryHooks,
    private readonly refreshLead: number = DEFAULTS.refreshLead,
  ) {}

  /** The expiry in force, if any. */
  get expiresAt(): number | undefined {
    return this.current;
  }

  /**
   * Sets the expiry (at the handshake, and again after each refresh: both deadlines move);
   * `undefined` removes it (credentials that do not expire).
   */
  set(expiresAt: number | undefined): void {
    this.current = expiresAt;
    if (expiresAt === undefined) return this.stop();
    this.wheel.schedule(this.expiry, expiresAt);
    const warnAt = this.hooks.onExpiring ? warningTime(expiresAt, this.wheel.now(), this.refreshLead, this.lastWarning) : undefined;
    if (warnAt === undefined) this.wheel.cancel(this.warning);
    else this.wheel.schedule(this.warning, warnAt);
  }

  /** Removes both deadlines (the connection ended). */
  stop(): void {
    this.current = undefined;
    this.wheel.cancel(this.warning);
    this.wheel.cancel(this.expiry);
  }

  private warn(): void {
    if (this.current === undefined) return;
    this.lastWarning = this.wheel.now();
    this.hooks.onExpiring?.(this.current);
  }

  private expire(): void {
    this.current = undefined;
    this.wheel.cancel(this.warning);
    this.hooks.onExpired();
  }
}
