import type { IncomingMessage } from 'node:http';
import { WebSocketConnection } from './base-connection';

/**
 * One WebSocket connection on the server: what tornado's `WebSocketHandler` offers for output.
 * Injected into the gateway's constructor (one per connection).
 *
 * @example
 * ```ts
 * @Gateway('/websocket')
 * class EchoGateway {
 *   constructor(private readonly conn: Connection) {}
 *   @OnMessage() onMessage(m: string) { return this.conn.writeMessage(`You said: ${m}`); }
 * }
 * ```
 */
export class Connection extends WebSocketConnection {
  /** @internal Built by the runtime for each upgrade request. */
  constructor(
    /** The handshake request (headers, url, remote address). Mirrors tornado's `self.request`. */
    readonly request: IncomingMessage,
    /** Path parameters by name (and by index for RegExp paths). Mirrors tornado's `path_args`. */
    readonly params: Readonly<Record<string, string>>,
  ) {
    super();
  }
}
