/**
 * RedisBroker: topics across processes and machines over Redis pub/sub (node-redis ≥ 5).
 * @module
 */
import { createClient, type RedisClientOptions } from 'redis';
import { BrokerError } from '../../errors';
import type { Broker, BrokerContext } from './broker';

type RedisClient = ReturnType<typeof createClient>;

/** Options of `RedisBroker`. */
export interface RedisBrokerOptions {
  /** `redis[s]://[[user][:password]@]host[:port][/db]`. Default `redis://127.0.0.1:6379`. */
  url?: string;
  /**
   * Prefix of every Redis channel: topic `room:1` is channel `<prefix>room:1`. Apps that must
   * see each other's topics use the same prefix; others (tests, tenants) use their own.
   * Default `'wsgate:'`.
   */
  prefix?: string;
  /** Failed attempts of the first connection before `app.listen()` gives up. Default 3. */
  connectAttempts?: number;
  /** Longest wait between two reconnect attempts, in ms. Default 1000. */
  maxReconnectDelay?: number;
  /** Further node-redis client options (TLS, credentials, …); `url` above wins. */
  client?: Omit<RedisClientOptions, 'url' | 'disableOfflineQueue'>;
}

/**
 * Redis pub/sub broker, one per app: one subscriber connection (SUBSCRIBE per topic) and one
 * publisher connection. Every topic is its own Redis channel, so Redis sends each node only the
 * topics it has subscribers for (see docs/topics.md for why not a pattern).
 *
 * Delivery is at-most-once: Redis pub/sub stores nothing, so a message published while a node
 * is disconnected never reaches it. When Redis goes away both connections reconnect by
 * themselves; `publish` meanwhile rejects with `BrokerError` (nothing is queued), and the
 * subscriptions are restored once the subscriber connection is back.
 *
 * @example
 * ```ts
 * import { RedisBroker } from 'wsgate/redis';
 * createApp({ gateways: [ChatGateway], broker: new RedisBroker({ url: process.env.REDIS_URL }) });
 * ```
 */
export class RedisBroker implements Broker {
  private readonly url: string;
  private readonly prefix: string;
  private publisher: RedisClient | undefined;
  private subscriber: RedisClient | undefined;
  private context: BrokerContext | undefined;
  private closed = false;
  /** The first connection of both clients, while start() waits for it. */
  private connecting: Promise<unknown> | undefined;
  /** Topics the hub wants from Redis: subscribed and not unsubscribed since. */
  private readonly wanted = new Set<string>();
  /**
   * One listener for every channel, handed to node-redis for SUBSCRIBE and UNSUBSCRIBE alike: it then
   * sends a new SUBSCRIBE for a channel whose UNSUBSCRIBE is still in flight (rather than adding a
   * listener that the UNSUBSCRIBE reply would remove), and never holds two listeners for one channel
   * (no message delivered twice).
   */
  private readonly listener = (message: Buffer, channel: Buffer | string): void => {
    this.context?.onMessage(String(channel).slice(this.prefix.length), message);
  };

  constructor(private readonly options: RedisBrokerOptions = {}) {
    this.url = options.url ?? 'redis://127.0.0.1:6379';
    this.prefix = options.prefix ?? 'wsgate:';
  }

  async start(context: BrokerContext): Promise<void> {
    if (this.publisher) throw new BrokerError('RedisBroker: already started (one broker per app)');
    this.context = context;
    // The publisher queues nothing while offline: a publish during an outage rejects at once.
    this.publisher = this.createClient('publisher', true);
    // The subscriber keeps its offline queue: a subscribe during an outage waits for the reconnect.
    this.subscriber = this.createClient('subscriber', false);
    this.connecting = Promise.all([this.publisher.connect(), this.subscriber.connect()]);
    try {
      await this.connecting;
    } catch (err) {
      await this.close();
      throw new BrokerError(`RedisBroker: cannot connect to ${this.describeUrl()}: ${(err as Error).message}`, { cause: err });
    }
  }

  async publish(topic: string, payload: Buffer): Promise<void> {
    const publisher = this.publisher;
    if (!publisher || this.closed) throw new BrokerError(`RedisBroker: cannot publish to "${topic}": the broker is ${this.closed ? 'closed' : 'not started'}`);
    try {
      await publisher.publish(this.prefix + topic, payload);
    } catch (err) {
      throw new BrokerError(`RedisBroker: publish to "${topic}" failed (${this.describeUrl()}): ${(err as Error).message}`, { cause: err });
    }
  }

  async subscribe(topic: string): Promise<void> {
    const subscriber = this.subscriber;
    if (!subscriber || this.closed) throw new BrokerError(`RedisBroker: cannot subscribe to "${topic}": the broker is ${this.closed ? 'closed' : 'not started'}`);
    this.wanted.add(topic);
    try {
      await this.resendIfLost(subscriber, () => subscriber.subscribe(this.prefix + topic, this.listener, true), () => this.wanted.has(topic));
    } catch (err) {
      throw new BrokerError(`RedisBroker: subscribe to "${topic}" failed (${this.describeUrl()}): ${(err as Error).message}`, { cause: err });
    }
  }

  async unsubscribe(topic: string): Promise<void> {
    const subscriber = this.subscriber;
    if (!subscriber || this.closed) return;
    this.wanted.delete(topic);
    try {
      await this.resendIfLost(subscriber, () => subscriber.unsubscribe(this.prefix + topic, this.listener, true), () => !this.wanted.has(topic));
    } catch (err) {
      throw new BrokerError(`RedisBroker: unsubscribe from "${topic}" failed (${this.describeUrl()}): ${(err as Error).message}`, { cause: err });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.context = undefined;
    // node-redis connects a client destroyed while its socket is being created anyway (and it can
    // then no longer be destroyed): let the first connection settle (reconnectStrategy stops retrying).
    await this.connecting?.catch(() => undefined);
    const clients = [this.publisher, this.subscriber].filter((c): c is RedisClient => c !== undefined);
    // destroy(): an outage must not hold up app.close(); publishes still in flight reject.
    for (const client of clients) if (client.isOpen) client.destroy();
  }

  /**
   * Runs a SUBSCRIBE or UNSUBSCRIBE. One whose reply was lost with the connection changed nothing in
   * node-redis (which restores, after the reconnect, the channels as they were before it): once the
   * connection is back it is sent again, unless the broker closed or the topic changed meanwhile
   * (the newer command then decides).
   */
  private async resendIfLost(client: RedisClient, command: () => Promise<unknown>, stillWanted: () => boolean): Promise<void> {
    try {
      await command();
    } catch (err) {
      if (this.closed || !stillWanted()) throw err;
      if (!client.isReady) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            client.off('ready', done);
            client.off('end', done);
            resolve();
          };
          client.on('ready', done);
          client.on('end', done);
        });
      }
      if (this.closed || !stillWanted()) throw err;
      await command();
    }
  }

  private createClient(role: string, disableOfflineQueue: boolean): RedisClient {
    const attempts = this.options.connectAttempts ?? 3;
    const maxDelay = this.options.maxReconnectDelay ?? 1000;
    let everReady = false;
    let down = false;
    const client: RedisClient = createClient({
      ...this.options.client,
      url: this.url,
      disableOfflineQueue,
      socket: {
        ...this.options.client?.socket,
        // Before the first success: give up after `attempts` (listen() rejects). After it: forever.
        // `false` (not an Error: node-redis checks `instanceof Error`, which fails across realms, e.g. in jest).
        reconnectStrategy: (retries: number) => {
          if (this.closed) return false;
          if (!everReady && retries + 1 >= attempts) return false;
          return Math.min(50 * 2 ** retries, maxDelay) + Math.floor(Math.random() * 50);
        },
      },
    } as RedisClientOptions) as RedisClient;
    // node-redis emits 'error' for every failed attempt; without a listener that would crash the process.
    client.on('error', (err: Error) => {
      if (!everReady || down || this.closed) return;
      down = true;
      this.context?.logger.warn(`wsgate: RedisBroker ${role} lost ${this.describeUrl()} (${err.message}); reconnecting`);
    });
    client.on('ready', () => {
      if (down) this.context?.logger.warn(`wsgate: RedisBroker ${role} reconnected to ${this.describeUrl()}`);
      everReady = true;
      down = false;
    });
    return client;
  }

  /** The URL without credentials, for messages. */
  private describeUrl(): string {
    try {
      const u = new URL(this.url);
      u.username = '';
      u.password = '';
      return u.toString();
    } catch {
      return 'Redis';
    }
  }
}
