/**
 * One Redis connection of a `RedisBroker` (its publisher or its subscriber): a node-redis client that
 * reconnects by itself when the connection drops, and is replaced by a new client when Redis stops
 * answering on a connection that is still up (frozen server, partition without RST, slow command).
 * @module
 */
import { createClient, type RedisClientOptions } from 'redis';
import { BrokerError } from '../../errors';
import type { Logger } from '../../types';

export type RedisClient = ReturnType<typeof createClient>;

/** What a link needs from its broker. */
export interface RedisLinkOptions {
  readonly role: 'publisher' | 'subscriber';
  readonly url: string;
  /** The URL without credentials, for messages. */
  readonly safeUrl: string;
  readonly client?: Omit<RedisClientOptions, 'url' | 'disableOfflineQueue'>;
  readonly connectAttempts: number;
  readonly maxReconnectDelay: number;
  readonly commandTimeout: number;
  /** `true`: commands sent while disconnected reject at once; `false`: they wait for the reconnect. */
  readonly disableOfflineQueue: boolean;
  readonly logger: () => Logger | undefined;
  /** Called with every replacement client before it connects (the subscriber queues its SUBSCRIBEs there). */
  readonly prepare?: (client: RedisClient) => void;
}

/** What the link knows about one of its clients. */
interface ClientState {
  /** Its socket is being created: destroying it now would not stop node-redis from connecting it. */
  creating: boolean;
  /** Wakes whoever waits for the socket creation to end. */
  created?: () => void;
  /** One shared wait for "ready again (or gone)", however many commands wait for it. */
  back?: Promise<void>;
  wake?: () => void;
  /** Send times of the watched commands still unanswered, oldest first from `head` (Redis answers in order). */
  readonly sentAt: number[];
  head: number;
  /** Why this client was given up, when it stopped answering. */
  lost?: string;
}

const noop = (): void => undefined;

/**
 * A `RedisBroker` connection (internal): `client` is the node-redis client to send on now; `timed`
 * bounds a command by `commandTimeout`; `whenBack` waits for a reconnect; `close` destroys it.
 */
export class RedisLink {
  /** The current client; replaced (never reused) when Redis stops answering. */
  client: RedisClient;
  private readonly states = new WeakMap<RedisClient, ClientState>();
  /** Connections in progress (`close()` lets them settle). */
  private readonly connecting = new Set<Promise<unknown>>();
  private everReady = false;
  private down = false;
  private closed = false;
  /** Checks the oldest watched command of the current client; armed while there is one. */
  private watchdog: NodeJS.Timeout | undefined;

  constructor(private readonly options: RedisLinkOptions) {
    this.client = this.create();
  }

  /** The first connection; rejects after `connectAttempts` failures. */
  connect(): Promise<unknown> {
    return this.startConnecting(this.client);
  }

  /**
   * `command` (sent on `client`), bounded by `commandTimeout`: it then rejects with `BrokerError`,
   * and a connection that looked ready (so is up but not answering) is given up for a new one.
   */
  timed<T>(client: RedisClient, command: Promise<T>, what: string): Promise<T> {
    const ms = this.options.commandTimeout;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new BrokerError(`RedisBroker: ${what}: no reply from ${this.options.safeUrl} within ${ms} ms`));
        if (client === this.client && client.isReady && !this.closed) this.replace(`no reply within ${ms} ms (${what})`);
      }, ms);
      command.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }

  /**
   * The hot-path alternative to `timed` (PUBLISH): `sent` before the command, `answered` once it
   * settled. No timer or promise per command: one watchdog looks at the oldest unanswered one and
   * replaces the connection when it is older than `commandTimeout`, which rejects every command in
   * flight on it (`lostReason` then says why). Only for commands that are never queued while the
   * client is offline (the publisher's offline queue is off), so they all are on the wire.
   */
  sent(client: RedisClient): void {
    this.states.get(client)!.sentAt.push(Date.now());
    this.watchdog ??= setTimeout(this.checkOldest, this.options.commandTimeout);
  }

  answered(client: RedisClient): void {
    const state = this.states.get(client)!;
    if (++state.head < state.sentAt.length) {
      // A publisher that always has something in flight never empties the list: drop the answered part.
      if (state.head >= 1024 && state.head * 2 >= state.sentAt.length) {
        state.sentAt.splice(0, state.head);
        state.head = 0;
      }
      return;
    }
    state.sentAt.length = 0;
    state.head = 0;
  }

  /** Why `client` was replaced, if it stopped answering. */
  lostReason(client: RedisClient): string | undefined {
    return this.states.get(client)?.lost;
  }

  private readonly checkOldest = (): void => {
    this.watchdog = undefined;
    const client = this.client;
    const state = this.states.get(client)!;
    if (this.closed || state.head >= state.sentAt.length) return;
    const age = Date.now() - state.sentAt[state.head];
    const ms = this.options.commandTimeout;
    // Not ready: the connection is already being re-established, and node-redis rejects what was on it.
    if (age < ms || !client.isReady) {
      this.watchdog = setTimeout(this.checkOldest, age < ms ? ms - age : ms);
      return;
    }
    state.lost = `no reply from ${this.options.safeUrl} within ${ms} ms`;
    this.replace(`no reply within ${ms} ms`);
  };

  /** Resolves once `client` is ready again, or gone (destroyed, replaced, closed). */
  whenBack(client: RedisClient): Promise<void> {
    const state = this.states.get(client)!;
    if (client.isReady || !client.isOpen || client !== this.client || this.closed) return Promise.resolve();
    // One listener pair per client: lost commands must not add one listener each.
    state.back ??= new Promise<void>((resolve) => {
      const done = (): void => {
        client.off('ready', done);
        client.off('end', done);
        state.back = undefined;
        state.wake = undefined;
        resolve();
      };
      state.wake = done;
      client.on('ready', done);
      client.on('end', done);
    });
    return state.back;
  }

  /** Destroys the client(s); commands in flight reject. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.watchdog);
    await this.destroy(this.client);
    await Promise.allSettled([...this.connecting]);
  }

  /** Gives up the current client (Redis does not answer on it) for a new one; its commands reject. */
  private replace(reason: string): void {
    const old = this.client;
    if (!this.down) this.options.logger()?.warn(`wsgate: RedisBroker ${this.options.role}: ${reason}; reconnecting to ${this.options.safeUrl}`);
    this.down = true;
    this.client = this.create();
    this.options.prepare?.(this.client);
    void this.startConnecting(this.client);
    this.states.get(old)!.wake?.();
    void this.destroy(old);
  }

  private startConnecting(client: RedisClient): Promise<unknown> {
    this.states.get(client)!.creating = true;
    const connected = client.connect();
    this.connecting.add(connected);
    connected.catch(noop).finally(() => this.connecting.delete(connected));
    return connected;
  }

  /** Destroys `client` once that is safe: node-redis connects a client destroyed while its socket is being created anyway. */
  private async destroy(client: RedisClient): Promise<void> {
    const state = this.states.get(client)!;
    if (state.creating) {
      await new Promise<void>((resolve) => {
        const previous = state.created;
        state.created = () => {
          previous?.();
          resolve();
        };
      });
      // The handshake commands are queued a few microtasks after the socket exists; destroying
      // before would leave them unanswered and the connection attempt pending for ever.
      await new Promise((resolve) => setImmediate(resolve));
    }
    state.wake?.();
    if (client.isOpen) {
      try {
        client.destroy();
      } catch {
        // Already closed by node-redis itself.
      }
    }
  }

  private socketCreation(client: RedisClient, creating: boolean): void {
    const state = this.states.get(client)!;
    state.creating = creating;
    if (creating) return;
    const created = state.created;
    state.created = undefined;
    created?.();
  }

  private create(): RedisClient {
    const { options } = this;
    const client: RedisClient = createClient({
      ...options.client,
      url: options.url,
      disableOfflineQueue: options.disableOfflineQueue,
      socket: {
        ...options.client?.socket,
        // Before the first success: give up after `connectAttempts` (listen() rejects). After it: for
        // ever, unless this client was replaced or the broker closed. `false`, not an Error: node-redis
        // checks `instanceof Error`, which fails across realms (e.g. in jest).
        reconnectStrategy: (retries: number) => {
          this.socketCreation(client, false); // called once an attempt (or the connection) failed
          if (this.closed || client !== this.client) return false;
          if (!this.everReady && retries + 1 >= options.connectAttempts) return false;
          return Math.min(50 * 2 ** retries, options.maxReconnectDelay) + Math.floor(Math.random() * 50);
        },
      },
    } as RedisClientOptions) as RedisClient;
    this.states.set(client, { creating: false, sentAt: [], head: 0 });
    client.on('connect', () => this.socketCreation(client, false));
    client.on('reconnecting', () => this.socketCreation(client, true));
    // node-redis emits 'error' for every failed attempt; without a listener that would crash the process.
    client.on('error', (err: Error) => {
      if (client !== this.client || !this.everReady || this.down || this.closed) return;
      this.down = true;
      this.options.logger()?.warn(`wsgate: RedisBroker ${options.role} lost ${options.safeUrl} (${err.message}); reconnecting`);
    });
    client.on('ready', () => {
      if (client !== this.client) return;
      if (this.down) this.options.logger()?.warn(`wsgate: RedisBroker ${options.role} reconnected to ${options.safeUrl}`);
      this.everReady = true;
      this.down = false;
    });
    return client;
  }
}
