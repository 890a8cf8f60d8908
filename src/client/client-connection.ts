import type { IncomingMessage } from '../types';
import { WebSocketConnection } from '../connection/websocket-connection';
import type { MessageQueue } from '../connection/inbound-queue';

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
   * rejects. Concurrent calls get successive messages. Mirrors tornado's `read_message`.
   *
   * @throws Error synchronously when the connection was opened with an `onMessage` callback.
   * @example
   * ```ts
   * let message;
   * while ((message = await conn.readMessage()) !== null) handle(message);
   * ```
   */
  readMessage(): Promise<IncomingMessage | null> {
    if (this.callbackStyle) throw new Error('readMessage: this connection delivers its messages to the onMessage callback');
    return this.inbox.read();
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
