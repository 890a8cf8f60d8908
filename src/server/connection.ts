import { kPubSub } from '../constants';
import { WebSocketConnection } from '../connection/websocket-connection';
import { subscribe, topicsOf, unsubscribe, type PubSubLink, type Subscriber } from '../topics/registry';
import type { HandshakeRequest } from './handshake-request';

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
export class Connection extends WebSocketConnection implements Subscriber {
  /** @internal Built by the runtime for each upgrade request. */
  constructor(
    /**
     * The upgrade request (method, url, headers, remote address, TLS, query), as a snapshot taken at
     * the handshake. Mirrors tornado's `self.request`.
     */
    readonly request: HandshakeRequest,
    /** Path parameters by name (and by index for RegExp paths). Mirrors tornado's `path_args`. */
    readonly params: Readonly<Record<string, string>>,
  ) {
    super();
  }

  /** @internal Set by the runtime: the app's hub and the gateway's slow-consumer limits. */
  [kPubSub]: PubSubLink | undefined;

  /**
   * Receives from now on what `hub.publish` sends to `topic` (on any node sharing the broker).
   * Effective locally at once; resolves when the broker confirmed it (rejects with `BrokerError`).
   * A closed connection is unsubscribed from everything.
   *
   * @throws WebSocketClosedError when the connection is not open.
   * @example
   * ```ts
   * @OnOpen() open(room: string) { return this.conn.subscribe(`room:${room}`); }
   * ```
   */
  subscribe(topic: string): Promise<void> {
    return subscribe(this, topic);
  }

  /** Stops receiving `topic`. Resolves once the broker was told (when this was its last local subscriber). */
  unsubscribe(topic: string): Promise<void> {
    return unsubscribe(this, topic);
  }

  /** The topics this connection subscribes to (a snapshot). */
  get topics(): ReadonlySet<string> {
    return topicsOf(this);
  }
}
