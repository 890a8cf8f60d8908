/**
 * The Hub: one per app, publishes to topics on this node and, through the broker, on every node.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { noop } from '../constants';
import type { Broker } from './brokers/broker';
import { decodeEnvelope, encodeEnvelope } from './envelope';
import { BrokerError } from '../errors';
import type { Logger, OutgoingMessage } from '../types';
import type { Subscriber } from './registry';
import { fanOut } from './fanout';
import type { ContractDefinition, ServerData, ServerEventType } from '../protocol/contract';
import { writeEvent } from '../protocol/envelope';
import { encodeMessage } from '../connection/serialize';
import { TopicRegistry } from './registry';
import { JunkReport } from './junk-report';

/** Options of `hub.publish`. */
export interface PublishOptions {
  /** A connection of this app that must not receive this message (typically the sender, `this.conn`). */
  except?: Subscriber;
  /** Send a string as a binary frame. */
  binary?: boolean;
}

/** A topic's subscription at the broker, from its first local subscriber to its last. */
interface Subscription {
  confirmed: Promise<void>;
  /** `broker.subscribe` has been called (so leaving must call `broker.unsubscribe`). */
  asked: boolean;
}

function asBrokerError(err: unknown, what: string): BrokerError {
  return err instanceof BrokerError ? err : new BrokerError(`${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

/**
 * Publishes messages to topics. Injectable (one per app): every connection of the app that
 * called `conn.subscribe(topic)` receives what is published to `topic`, on this node and on
 * every node that shares the app's broker.
 *
 * @example
 * ```ts
 * @Gateway('/chat/:room')
 * class ChatGateway {
 *   constructor(private readonly conn: Connection, private readonly hub: Hub) {}
 *   @OnOpen() open(room: string) { return this.conn.subscribe(`room:${room}`); }
 *   @OnMessage() say(text: string) {
 *     return this.hub.publish(`room:${this.conn.params.room}`, { text }, { except: this.conn });
 *   }
 * }
 * ```
 */
export class Hub {
  /** @internal */
  readonly registry = new TopicRegistry();
  /** Tells this node's publishes apart when the broker hands them back. */
  private readonly nodeId = randomBytes(8).toString('hex');
  /** Topics with local subscribers: their broker confirmation, and whether the broker was asked yet. */
  private readonly confirmations = new Map<string, Subscription>();
  private started: Promise<void> | undefined;
  private running = false;
  private closed = false;
  /** Messages from the broker that are dropped, reported at most once per interval. */
  private readonly junk: JunkReport;

  /** @internal Created by `createApp`; inject it rather than constructing one. */
  constructor(
    private readonly broker: Broker,
    private readonly logger: Logger,
  ) {
    this.junk = new JunkReport(logger);
  }

  /**
   * Sends `message` to every subscriber of `topic`, here and on the other nodes. The message is
   * encoded once, by `writeMessage`'s rules (`binary: true` sends a string as a binary frame).
   * Local subscribers get it before this returns; the promise resolves once the broker has
   * taken it, and rejects with `BrokerError` when it could not (e.g. Redis is down: the local
   * subscribers still got it). Messages published to one topic arrive in publish order.
   *
   * @throws TypeError synchronously when `message` cannot be serialized.
   * @example
   * ```ts
   * await hub.publish('prices', { symbol: 'ACME', price: 12.5 });
   * await hub.publish(`room:${room}`, text, { except: this.conn });
   * ```
   */
  publish(topic: string, message: OutgoingMessage, options?: PublishOptions): Promise<void>;
  /**
   * Publishes the contract event `type` (declared under the contract's `server`) to `topic`: every
   * subscriber gets the envelope `{"type": type, "data": data}`, typed like `conn.send`. The data
   * is checked by the compiler only (a hub serves every gateway of the app).
   *
   * @example
   * ```ts
   * await hub.publish(`room:${room}`, chat, 'message', { text }, { except: this.conn });
   * ```
   */
  publish<C extends ContractDefinition, T extends ServerEventType<C>>(topic: string, contract: C, type: T, data: ServerData<C, T>, options?: PublishOptions): Promise<void>;
  publish(topic: string, ...args: unknown[]): Promise<void> {
    // The contract form is told apart by its third argument, the type name (options are never a string).
    if (typeof args[1] === 'string') {
      const [contract, type, data, options] = args as [ContractDefinition, string, unknown, PublishOptions | undefined];
      const server = contract?.server;
      if (!server || !Object.prototype.hasOwnProperty.call(server, type) || server[type].reply) {
        throw new TypeError(`hub.publish: "${type}" is not an event of the contract's server side`);
      }
      return this.publishMessage(topic, writeEvent(type, data), options);
    }
    return this.publishMessage(topic, args[0] as OutgoingMessage, args[1] as PublishOptions | undefined);
  }

  private publishMessage(topic: string, message: OutgoingMessage, options?: PublishOptions): Promise<void> {
    const data = encodeMessage(message);
    const encoded = {
      data: typeof data === 'string' ? Buffer.from(data, 'utf8') : data,
      binary: typeof data !== 'string' || options?.binary === true,
    };
    fanOut(this.registry.subscribers(topic), encoded, options?.except);
    const payload = encodeEnvelope(this.nodeId, encoded);
    const sent = this.running
      ? this.broker.publish(topic, payload)
      : this.start().then(() => this.broker.publish(topic, payload));
    const result = sent.catch((err: unknown) => {
      throw asBrokerError(err, `Hub: publish to "${topic}" failed`);
    });
    result.catch(noop);
    return result;
  }

  /** How many connections of this app (this process) subscribe to `topic`. */
  localSubscribers(topic: string): number {
    return this.registry.subscribers(topic)?.size ?? 0;
  }

  /** @internal Starts the broker once; `app.listen()` awaits it, `app.attach()` starts it. */
  start(): Promise<void> {
    // A closed app's broker must not connect (again): it would never be closed.
    if (this.closed) return Promise.reject(new BrokerError('Hub: the app is closed'));
    this.started ??= this.broker.start({ onMessage: (topic, payload) => this.receive(topic, payload), logger: this.logger }).then(
      () => void (this.running = !this.closed),
      (err: unknown) => {
        this.started = undefined; // a failed start is not kept: the next listen() or publish tries again
        throw err;
      },
    );
    return this.started;
  }

  /** @internal Closes the broker (after the app's connections). */
  async close(): Promise<void> {
    this.closed = true;
    this.running = false;
    await this.broker.close();
  }

  /** @internal */
  firstSubscriber(topic: string): Promise<void> {
    const subscription: Subscription = { confirmed: undefined!, asked: false };
    // The broker is asked once it has started, and only if the topic still has this subscription:
    // a topic left in the meantime must not be subscribed after its unsubscribe was skipped.
    subscription.confirmed = this.start()
      .then(() => {
        if (this.confirmations.get(topic) !== subscription) return;
        subscription.asked = true;
        return this.broker.subscribe(topic);
      })
      .catch((err: unknown) => {
        if (this.confirmations.get(topic) === subscription) this.confirmations.delete(topic);
        throw asBrokerError(err, `Hub: subscribe to "${topic}" failed`);
      });
    subscription.confirmed.catch(noop);
    this.confirmations.set(topic, subscription);
    return subscription.confirmed;
  }

  /** @internal */
  confirmation(topic: string): Promise<void> {
    return this.confirmations.get(topic)?.confirmed ?? this.firstSubscriber(topic);
  }

  /** @internal */
  lastSubscriberLeft(topic: string): Promise<void> {
    const subscription = this.confirmations.get(topic);
    this.confirmations.delete(topic);
    // Not asked yet (or failed): the broker has nothing to undo.
    if (this.closed || !subscription?.asked) return Promise.resolve();
    return this.broker.unsubscribe(topic).catch((err: unknown) => {
      throw asBrokerError(err, `Hub: unsubscribe from "${topic}" failed`);
    });
  }

  /** A message from the broker: deliver it here unless this node published it (already delivered). */
  private receive(topic: string, payload: Buffer): void {
    const envelope = decodeEnvelope(payload);
    if (typeof envelope === 'string') return this.junk.drop(topic, envelope);
    if (envelope.origin === this.nodeId) return;
    fanOut(this.registry.subscribers(topic), envelope.message, undefined);
  }
}
