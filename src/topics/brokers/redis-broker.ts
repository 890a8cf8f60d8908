/**
 * RedisBroker: topics across processes and machines over Redis pub/sub (node-redis ≥ 5).
 * @module
 */
import type { RedisClientOptions } from 'redis';
import { MAX_TIMER_DELAY } from '../../constants';
import { BrokerError } from '../../errors';
import type { Broker, BrokerContext } from './broker';
import { RedisLink, type RedisClient } from './redis-link';


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
  /**
   * Longest wait for Redis to answer a command (PUBLISH, SUBSCRIBE, UNSUBSCRIBE), in ms. The
   * command then rejects with `BrokerError`, and a connection that is up but does not answer
   * (frozen server, network partition without a reset, a slow command) is treated as lost: it is
   * replaced by a new one and the subscriptions are restored on it. Default 5000.
   */
  commandTimeout?: number;
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
 * subscriptions are restored once the subscriber connection is back. A command Redis does not
 * answer within `commandTimeout` rejects with `BrokerError` and its connection is replaced.
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
  private readonly commandTimeout: number;
  private publisher: RedisLink | undefined;
  private subscriber: RedisLink | undefined;
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

  /** @throws RangeError when `commandTimeout` is not a number of ms in 1 … 2^31−1. */
  constructor(private readonly options: RedisBrokerOptions = {}) {
    this.url = options.url ?? 'redis://127.0.0.1:6379';
    this.prefix = options.prefix ?? 'wsgate:';
    const timeout = options.commandTimeout ?? 5000;
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 1 || timeout > MAX_TIMER_DELAY) {
      throw new RangeError(`RedisBroker: commandTimeout must be a number of ms from 1 to ${MAX_TIMER_DELAY}, got ${String(timeout)}`);
    }
    this.commandTimeout = timeout;
  }

  async start(context: BrokerContext): Promise<void> {
    if (this.publisher) throw new BrokerError('RedisBroker: already started (one broker per app)');
    this.context = context;
    // The publisher queues nothing while offline: a publish during an outage rejects at once.
    this.publisher = this.createLink('publisher', true);
    // The subscriber keeps its offline queue: a subscribe during an outage waits for the reconnect.
    // A replacement subscriber subscribes, before it connects, to every topic wanted.
    this.subscriber = this.createLink('subscriber', false, (client) => {
      if (this.wanted.size > 0) client.subscribe([...this.wanted].map((t) => this.prefix + t), this.listener, true).catch(() => undefined);
    });
    this.connecting = Promise.all([this.publisher.connect(), this.subscriber.connect()]);
    try {
      await this.connecting;
    } catch (err) {
      await this.close();
      throw new BrokerError(`RedisBroker: cannot connect to ${this.describeUrl()}: ${(err as Error).message}`, { cause: err });
    }
  }

  async publish(topic: string, payload: Buffer): Promise<void> {
    const link = this.publisher;
    if (!link || this.closed) throw new BrokerError(`RedisBroker: cannot publish to "${topic}": the broker is ${this.closed ? 'closed' : 'not started'}`);
    const client = link.client;
    link.sent(client);
    try {
      await client.publish(this.prefix + topic, payload);
    } catch (err) {
      const lost = link.lostReason(client);
      throw lost ? new BrokerError(`RedisBroker: publish to "${topic}" failed: ${lost}`, { cause: err }) : this.failure(err, `publish to "${topic}" failed`);
    } finally {
      link.answered(client);
    }
  }

  async subscribe(topic: string): Promise<void> {
    const link = this.subscriber;
    if (!link || this.closed) throw new BrokerError(`RedisBroker: cannot subscribe to "${topic}": the broker is ${this.closed ? 'closed' : 'not started'}`);
    this.wanted.add(topic);
    const command = (client: RedisClient): Promise<unknown> => client.subscribe(this.prefix + topic, this.listener, true);
    try {
      await link.timed(link.client, this.resendIfLost(link, command, () => this.wanted.has(topic)), `SUBSCRIBE to "${topic}"`);
    } catch (err) {
      throw this.failure(err, `subscribe to "${topic}" failed`);
    }
  }

  async unsubscribe(topic: string): Promise<void> {
    const link = this.subscriber;
    if (!link || this.closed) return;
    this.wanted.delete(topic);
    const command = (client: RedisClient): Promise<unknown> => client.unsubscribe(this.prefix + topic, this.listener, true);
    try {
      await link.timed(link.client, this.resendIfLost(link, command, () => !this.wanted.has(topic)), `UNSUBSCRIBE from "${topic}"`);
    } catch (err) {
      throw this.failure(err, `unsubscribe from "${topic}" failed`);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.context = undefined;
    // node-redis connects a client destroyed while its socket is being created anyway (and it can
    // then no longer be destroyed): let the first connection settle (reconnectStrategy stops retrying).
    await this.connecting?.catch(() => undefined);
    // destroy(): an outage must not hold up app.close(); publishes still in flight reject.
    await Promise.all([this.publisher?.close(), this.subscriber?.close()]);
  }

  /**
   * Runs a SUBSCRIBE or UNSUBSCRIBE. One whose reply was lost with the connection changed nothing in
   * node-redis (which restores, after the reconnect, the channels as they were before it): once the
   * connection is back (or replaced) it is sent again, on the current client, unless the broker
   * closed or the topic changed meanwhile (the newer command then decides). However many commands
   * wait, the client gets one pair of listeners (no MaxListenersExceededWarning).
   */
  private async resendIfLost(link: RedisLink, command: (client: RedisClient) => Promise<unknown>, stillWanted: () => boolean): Promise<void> {
    const client = link.client;
    try {
      await command(client);
    } catch (err) {
      if (this.closed || !stillWanted()) throw err;
      await link.whenBack(client);
      if (this.closed || !stillWanted()) throw err;
      await command(link.client);
    }
  }

  private createLink(role: 'publisher' | 'subscriber', disableOfflineQueue: boolean, prepare?: (client: RedisClient) => void): RedisLink {
    return new RedisLink({
      role,
      url: this.url,
      safeUrl: this.describeUrl(),
      client: this.options.client,
      connectAttempts: this.options.connectAttempts ?? 3,
      maxReconnectDelay: this.options.maxReconnectDelay ?? 1000,
      commandTimeout: this.commandTimeout,
      disableOfflineQueue,
      logger: () => this.context?.logger,
      prepare,
    });
  }

  private failure(err: unknown, what: string): BrokerError {
    if (err instanceof BrokerError) return err;
    return new BrokerError(`RedisBroker: ${what} (${this.describeUrl()}): ${(err as Error).message}`, { cause: err });
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
