/**
 * The client's `$auth` requests on a contract connection (in-band credential refresh): answered
 * as they are read, never queued behind a handler, one at a time.
 * @module
 */
import { CloseCode, noop } from '../../constants';
import { MessageError } from '../../errors';
import { writeErrorReply, writeReply, type Id, type WireError } from '../../protocol/envelope';

/**
 * The session's `onAuth`, set by whoever wires the guard's `refresh` to the connection: it
 * re-authenticates with `token` and resolves with the new expiry (answered `{"expiresAt": ms}`;
 * `undefined`: credentials that no longer expire, answered `{}`), or rejects to refuse: the client
 * is answered `UNAUTHORIZED` (with the message of a `MessageError`, else a generic one) and the
 * connection is then closed with 4401, so the hook does not close it itself.
 */
export type AuthHook = (token: string, id: Id) => { expiresAt?: number } | Promise<{ expiresAt?: number }>;

/** What the `$auth` answers need of the session. */
export interface AuthPorts {
  /** The hook in force (the session's `onAuth`). */
  hook(): AuthHook | undefined;
  /** Writes a frame if the connection is open. */
  send(text: string): void;
  /** Closes the connection (after a refused refresh). */
  close(code: number, reason: string): Promise<void>;
  /** Whether the connection has ended (an answer that comes after is dropped). */
  ended(): boolean;
  /** A malformed `$auth`: `BAD_MESSAGE` (or a 1008 close, as the gateway's `onInvalidMessage` says). */
  invalid(message: string, id: Id): void;
}

export class AuthRequests {
  private running: Id | undefined;

  constructor(private readonly ports: AuthPorts) {}

  /** Whether the `$auth` request `id` is still being answered (its id is then taken). */
  has(id: Id): boolean {
    return this.running === id;
  }

  /** A `$auth` request arrived. */
  receive(id: Id, data: unknown): void {
    const hook = this.ports.hook();
    if (!hook) return this.ports.send(writeErrorReply(id, { code: 'UNAUTHORIZED', message: 'this gateway has no credentials to refresh' }));
    const token = (typeof data === 'object' && data !== null ? (data as { token?: unknown }).token : undefined);
    if (typeof token !== 'string') return this.ports.invalid('"$auth" needs "data": {"token": string}', id);
    // One at a time: a client refreshing again before the answer is hammering the guard.
    if (this.running !== undefined) {
      return this.ports.send(writeErrorReply(id, { code: 'OVERLOADED', message: 'a credential refresh is already running' }));
    }
    this.running = id;
    new Promise<{ expiresAt?: number }>((resolve) => resolve(hook(token, id))).then(
      (result) => this.settle(id, writeReply(id, result?.expiresAt === undefined ? {} : { expiresAt: result.expiresAt }), false),
      (err: unknown) => {
        const error: WireError = { code: 'UNAUTHORIZED', message: MessageError.is(err) ? err.message : 'the credentials were refused' };
        this.settle(id, writeErrorReply(id, error), true);
      },
    );
  }

  private settle(id: Id, text: string, refused: boolean): void {
    if (this.running === id) this.running = undefined;
    if (this.ports.ended()) return;
    this.ports.send(text);
    if (refused) this.ports.close(CloseCode.credentials, 'credentials refused').catch(noop);
  }
}
