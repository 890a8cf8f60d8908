/**
 * MemoryBroker: topics inside one process, nothing to install (the default broker).
 * @module
 */
import type { Broker, BrokerContext } from './broker';

/**
 * A group of `MemoryBroker`s that see each other's publishes, like nodes sharing one Redis.
 * Brokers without an explicit bus each get their own (one app, one process).
 */
export class MemoryBus {
  /** @internal */
  readonly members = new Set<MemoryBroker>();
}

/** Options of `MemoryBroker`. */
export interface MemoryBrokerOptions {
  /** Share topics with the other brokers on this bus (several apps in one process). Default: a private bus. */
  bus?: MemoryBus;
}

/**
 * The default broker: delivers to the subscribers of the app that publishes (and, with a shared
 * `MemoryBus`, of the other apps on that bus), synchronously and in publish order.
 *
 * @example
 * ```ts
 * const bus = new MemoryBus();
 * const a = createApp({ gateways: [ChatGateway], broker: new MemoryBroker({ bus }) });
 * const b = createApp({ gateways: [ChatGateway], broker: new MemoryBroker({ bus }) });
 * ```
 */
export class MemoryBroker implements Broker {
  private readonly bus: MemoryBus;
  private readonly topics = new Set<string>();
  private context: BrokerContext | undefined;

  constructor(options: MemoryBrokerOptions = {}) {
    this.bus = options.bus ?? new MemoryBus();
  }

  start(context: BrokerContext): Promise<void> {
    this.context = context;
    this.bus.members.add(this);
    return Promise.resolve();
  }

  publish(topic: string, payload: Buffer): Promise<void> {
    for (const broker of this.bus.members) {
      // The publishing hub has already delivered to its own subscribers.
      if (broker !== this && broker.topics.has(topic)) broker.context?.onMessage(topic, payload);
    }
    return Promise.resolve();
  }

  subscribe(topic: string): Promise<void> {
    this.topics.add(topic);
    return Promise.resolve();
  }

  unsubscribe(topic: string): Promise<void> {
    this.topics.delete(topic);
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.bus.members.delete(this);
    this.topics.clear();
    this.context = undefined;
    return Promise.resolve();
  }
}
