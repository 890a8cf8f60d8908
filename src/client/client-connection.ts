import { noop } from '../constants';
import type { IncomingMessage } from '../types';
import { WebSocketConnection } from '../connection/websocket-connection';
import type { MessageQueue, ReadOptions } from './inbox';

/**
 * The client end of a WebSocket, returned by `websocketConnect`: tornado's
 * `WebSocketClientConnection`. `writeMessage`, `close`, `ping`, `closeCode`, `closeReason` and
 * `selectedSubprotocol` behave exactly as on the server's `Connection`.
 *
 * @example
 * ```ts
 * const conn = await websocketConnect('ws://127.0.0.1:8888/websocket');
 * await conn.writeMessage('Hello, world');
 * console.log(await conn.readMessage()); // 'You said: Hello, world'
 * for await (const message of conn) console.log(message); // until the connection ends
 * ```
 */
export class ClientConnection extends WebSocketConnection implements AsyncIterable<IncomingMessage> {
  /** @internal Built by `websocketConnect`. */
  constructor(
    /** The URL this connection was opened to. */
    readonly url: string,
    private readonly inbox: MessageQueue,
    private readonly callbackStyle: boolean,
  ) {
    super();
  }

  /**
   * The next message, in arrival order: `string` for a text frame, `Buffer` for a binary one.
   * Messages that arrived before anyone read them are kept. Resolves `null` once the connection
   * has ended and every kept message has been read, for this call and every later one; never
   * rejects unless given up. Concurrent calls get successive messages. A read given up through
   * `signal` (rejects with the signal's reason) or `timeout` (rejects with `TimeoutError`) takes
   * no message: the next one goes to the next read. Mirrors tornado's `read_message`.
   *
   * @throws Error synchronously when the connection was opened with an `onMessage` callback.
   * @example
   * ```ts
   * let message;
   * while ((message = await conn.readMessage()) !== null) handle(message);
   * const next = await conn.readMessage({ timeout: 1000 }); // TimeoutError after 1 s, nothing taken
   * ```
   */
  readMessage(options?: ReadOptions): Promise<IncomingMessage | null> {
    if (this.callbackStyle) throw new Error('readMessage: this connection delivers its messages to the onMessage callback');
    if (options?.timeout !== undefined && !(Number.isFinite(options.timeout) && options.timeout >= 0)) {
      throw new RangeError(`readMessage: timeout must be a number ≥ 0, got ${String(options.timeout)}`);
    }
    const read = this.inbox.read(options);
    if (options) read.catch(noop); // a read given up and never awaited must not crash the process
    return read;
  }

  /**
   * Iterates over the same stream as `readMessage`, ending when the connection has ended.
   * Leaving the loop early (`break`) does not close the connection; call `close()` for that.
   *
   * @example
   * ```ts
   * for await (const message of conn) console.log(message);
   * console.log('closed with', conn.closeCode);
   * ```
   */
  [Symbol.asyncIterator](): AsyncIterator<IncomingMessage> {
    return {
      next: async (): Promise<IteratorResult<IncomingMessage>> => {
        const message = await this.readMessage();
        return message === null ? { done: true, value: undefined } : { done: false, value: message };
      },
    };
  }
}
