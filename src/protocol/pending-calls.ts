/**
 * Requests this side sent and whose answer has not come: the server's `conn.call` and the typed
 * client's `call` alike. Ids count up from 1 and are never reused on a connection. A call settles
 * once: with the reply, with a `MessageError` for an error reply, with `TimeoutError` after its
 * timeout or the signal's reason when aborted (both send `$cancel`), or with
 * `WebSocketClosedError` when the connection ends first. No imports but relative ones.
 * @module
 */
import { MessageError, TimeoutError, WebSocketClosedError } from '../errors';
import type { Id, WireError } from './envelope';

/** Options of a call. */
export interface CallOptions {
  /** Rejects with `TimeoutError` (and cancels the request) after N ms. */
  timeout?: number;
  /** Rejects with the signal's reason (and cancels the request) when aborted. */
  signal?: AbortSignal;
}

interface PendingCall {
  readonly type: string;
  resolve(value: unknown): void;
  reject(err: unknown): void;
  /** Validates (and transforms) the reply before the caller sees it; a rejection fails the call. */
  readonly check: ((data: unknown) => unknown) | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export class PendingCalls {
  private readonly calls = new Map<Id, PendingCall>();
  private lastId = 0;

  /**
   * @param cancel sends `$cancel` for a call given up (timeout, abort).
   * @param onIdle called when the last pending call settled (the server may pause its socket again).
   */
  constructor(
    private readonly cancel: (id: Id) => void,
    private readonly onIdle?: () => void,
  ) {}

  get size(): number {
    return this.calls.size;
  }

  /** A new id, never used before on this connection. */
  nextId(): number {
    return ++this.lastId;
  }

  /** Registers call `id` of message `type`; the returned promise settles as described above. */
  add(id: Id, type: string, options: CallOptions | undefined, check?: (data: unknown) => unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const call: PendingCall = { type, resolve, reject, check, timer: undefined, signal: undefined, onAbort: undefined };
      const timeout = options?.timeout;
      if (timeout !== undefined && timeout !== Infinity) {
        call.timer = setTimeout(() => this.giveUp(id, new TimeoutError(`call "${type}": no answer within ${timeout} ms`)), timeout);
      }
      const signal = options?.signal;
      if (signal) {
        call.signal = signal;
        call.onAbort = () => this.giveUp(id, signal.reason);
        signal.addEventListener('abort', call.onAbort, { once: true });
      }
      this.calls.set(id, call);
    });
  }

  /** A reply arrived; false when no call waits for `id` (the reply is then ignored). */
  reply(id: Id, data: unknown): boolean {
    const call = this.take(id);
    if (!call) return false;
    if (!call.check) {
      call.resolve(data);
      return true;
    }
    try {
      call.resolve(call.check(data));
    } catch (err) {
      call.reject(err);
    }
    return true;
  }

  /** An error reply arrived for `id`. */
  error(id: Id, error: WireError): boolean {
    const call = this.take(id);
    if (!call) return false;
    call.reject(new MessageError(error.code, error.message, error.data, error.issues));
    return true;
  }

  /** The connection ended: every pending call rejects with `WebSocketClosedError`. */
  closeAll(reason = 'the connection closed before the answer came'): void {
    for (const id of [...this.calls.keys()]) {
      const call = this.take(id)!;
      call.reject(new WebSocketClosedError(`call "${call.type}": ${reason}`));
    }
  }

  private giveUp(id: Id, reason: unknown): void {
    const call = this.take(id);
    if (!call) return;
    call.reject(reason);
    this.cancel(id);
  }

  private take(id: Id): PendingCall | undefined {
    const call = this.calls.get(id);
    if (!call) return undefined;
    this.calls.delete(id);
    if (call.timer !== undefined) clearTimeout(call.timer);
    if (call.onAbort) call.signal!.removeEventListener('abort', call.onAbort);
    if (this.calls.size === 0) this.onIdle?.();
    return call;
  }
}
