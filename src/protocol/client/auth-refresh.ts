/**
 * The typed client's answer to the server's `$auth.expiring`: a fresh token from `getToken`, sent
 * as the request `$auth` on the connection that was warned. No imports but relative ones.
 * @module
 */

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

export class AuthRefresh {
  private inFlight = false;

  constructor(private readonly ports: AuthRefreshPorts) {}

  /** The server warned that the credentials expire soon; a warning while a refresh runs is ignored. */
  expiring(): void {
    const getToken = this.ports.getToken;
    if (!getToken || this.inFlight) return;
    this.inFlight = true;
    const done = (): void => void (this.inFlight = false);
    // Settles either way (an onError that throws included): never an unhandled rejection.
    this.refresh(getToken, this.ports.generation()).then(done, done);
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
      await this.ports.request(token, generation);
    } catch {
      // Refused (UNAUTHORIZED): the server closes with 4401 and the reconnect logic takes over. A
      // drop or a timeout: the next connection opens with a fresh token anyway.
    }
  }
}
