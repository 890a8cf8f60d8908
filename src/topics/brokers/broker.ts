/**
 * The `Broker` interface: how a `Hub` reaches the other nodes that share its topics.
 * @module
 */

/**
 * Where a broker reports trouble: the app's `Logger` (declared here by its shape so that the
 * option types, which name `Broker`, and the broker do not import each other).
 */
export interface BrokerLogger {
  error(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
  debug?(message: string, ...details: unknown[]): void;
}

/** What a broker is given when its app starts. */
export interface BrokerContext {
  /**
   * Called for every message the broker receives on a topic this node subscribed to, in the
   * order the broker received them. `payload` is what some node passed to `publish`
   * (a broker may hand back this node's own publishes: the hub recognises and skips them).
   */
  onMessage(topic: string, payload: Buffer): void;
  /** Where the broker reports connection trouble (lost server, reconnects). */
  readonly logger: BrokerLogger;
}

/**
 * A pub/sub backend shared by every node of an application. One broker instance serves one app
 * (it is started by `app.listen()`/`app.attach()` and closed by `app.close()`).
 *
 * Contract: messages one node publishes to one topic reach every node subscribed to it in
 * publish order; delivery is at-most-once (nothing is stored or retried). A broker that loses
 * its server reconnects by itself, rejects `publish` with `BrokerError` meanwhile, and restores
 * its subscriptions after the reconnect.
 *
 * @example
 * ```ts
 * createApp({ gateways: [ChatGateway], broker: new MemoryBroker() });
 * ```
 */
export interface Broker {
  /** Connects (if there is a server) and starts delivering to `context.onMessage`. Called once. */
  start(context: BrokerContext): Promise<void>;
  /** Sends `payload` to every node subscribed to `topic`. Rejects with `BrokerError` when it cannot. */
  publish(topic: string, payload: Buffer): Promise<void>;
  /** Starts receiving `topic`; resolves once the server confirmed it. */
  subscribe(topic: string): Promise<void>;
  /** Stops receiving `topic`. */
  unsubscribe(topic: string): Promise<void>;
  /** Disconnects; nothing is delivered afterwards. Idempotent. */
  close(): Promise<void>;
}
