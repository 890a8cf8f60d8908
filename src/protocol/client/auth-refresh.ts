/**
 * The typed client's answer to the server's `$auth.expiring`: a fresh token from `getToken`, sent
 * as the request `$auth` on the connection that was warned. No imports but relative ones.
 * @module
 */
import { MAX_TIMER_DELAY } from '../../constants';

/** What the refresh needs of the client. */
export interface AuthRefreshPorts {
  /** The client's `getToken` option; without it warnings are ignored. */
  readonly getToken: (() => string | Promise<string>) | undefined;
  /** The connection now (the link's generation). */
  generation(): number;
  /**
   * Sends `{"type": "$auth", "id": I, "data": {"token": T}}` if connection `generation` is still the
   * open one, and returns its pending answer (a rejection for an error reply, a timeout or a drop);
   * `undefined` when that connection is gone.
   */
  request(token: string, generation: number): Promise<unknown> | undefined;
  /** Told of a `getToken` that failed (the client's `onError`). */
  report(err: unknown): void;
}


/**
 * The server warns at most once per 5 s, so a token that lives only a few seconds would expire
 * between warnings: after each accepted refresh the client refreshes again by itself once half of
 * the new lifetime has passed (or at the server's next warning, whichever comes first).
 */
export class AuthRefresh {
  private inFlight = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly ports: AuthRefreshPorts) {}

  /** The server warned that the credentials expire soon; a warning while a refresh runs is ignored. */
  expiring(): void {
    const getToken = this.ports.getToken;
    if (!getToken || this.inFlight) return;
    this.cancelTimer();
    this.inFlight = true;
    const done = (): void => void (this.inFlight = false);
    // Settles either way (an onError that throws included): never an unhandled rejection.
    this.refresh(getToken, this.ports.generation()).then(done, done);
  }

  /** The client closed, or its connection dropped: no refresh is due any more. */
  stop(): void {
    this.cancelTimer();
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Refreshes again once half of the time to `expiresAt` has passed, on the same connection only. */
  private scheduleNext(expiresAt: number, generation: number): void {
    const remaining = expiresAt - Date.now();
    if (!(remaining > 0)) return;
    this.cancelTimer();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.ports.generation() === generation) this.expiring();
    }, Math.min(remaining / 2, MAX_TIMER_DELAY));
    // In Node, a pending refresh must not keep the process alive.
    (this.timer as { unref?: () => void }).unref?.();
  }

  private async refresh(getToken: () => string | Promise<string>, generation: number): Promise<void> {
    let token: string;
    try {
      token = await getToken();
    } catch (err) {
      // Nothing is sent: the server closes with 4401 at the expiry, and reconnecting asks getToken again.
      this.ports.report(err);
      return;
    }
    try {
      const answer = await this.ports.request(token, generation);
      const expiresAt = (answer as { expiresAt?: unknown } | undefined)?.expiresAt;
      if (typeof expiresAt === 'number' && Number.isFinite(expiresAt)) this.scheduleNext(expiresAt, generation);
    } catch {
      // Refused (UNAUTHORIZED): the server closes with 4401 and the reconnect logic takes over. A
      // drop or a timeout: the next connection opens with a fresh token anyway.
    }
  }
}
