/**
 * Which connections of one app subscribe to which topics, and the connection side of it
 * (`conn.subscribe`, `conn.unsubscribe`, `conn.topics`). Topics know a connection only as a
 * `Subscriber` (which the server `Connection` satisfies), so they do not import the server.
 * @module
 */
import type { WebSocket } from 'ws';
import { kPubSub, noop, type kSend, type kSocket } from '../constants';
import { WebSocketClosedError } from '../errors';
import type { BackpressurePolicy } from '../types';

/** A gateway's limits for a subscriber that does not read fast enough. */
export interface SubscriberLimits {
  readonly maxBackpressure: number;
  readonly backpressurePolicy: BackpressurePolicy;
}

/** The hub as the connections see it. */
export interface TopicHost {
  readonly registry: TopicRegistry;
  /** A topic got its first local subscriber: subscribe at the broker; resolves on its confirmation. */
  firstSubscriber(topic: string): Promise<void>;
  /** The confirmation of a topic that already has local subscribers. */
  confirmation(topic: string): Promise<void>;
  /** A topic lost its last local subscriber. */
  lastSubscriberLeft(topic: string): Promise<void>;
}

/** What the runtime puts on each server connection (one shared object per gateway). */
export interface PubSubLink {
  readonly host: TopicHost;
  readonly limits: SubscriberLimits;
}

/**
 * A connection that can subscribe to topics and receive what is published to them (the server
 * `Connection`). Fan-out writes a frame built once straight to its socket, or hands the payload to
 * its send path when the socket cannot take the frame as it is.
 */
export interface Subscriber {
  /** The WebSocket is open (messages can be sent). */
  readonly isOpen: boolean;
  /** Closes the connection (a subscriber too slow under the `'close'` policy). */
  close(code?: number, reason?: string): Promise<void>;
  /** @internal The `ws` socket, while there is one. */
  readonly [kSocket]: WebSocket | undefined;
  /** @internal The connection's send path (keeps frames in order behind ws's own queue). */
  [kSend](data: Buffer, binary: boolean): void;
  /** @internal The app's hub and the gateway's limits; set by the runtime. */
  [kPubSub]: PubSubLink | undefined;
}

const NO_TOPICS: ReadonlySet<string> = new Set<string>();

/** topic → connections, and connection → topics, for one app. */
export class TopicRegistry {
  private readonly byTopic = new Map<string, Set<Subscriber>>();
  private readonly bySubscriber = new Map<Subscriber, Set<string>>();

  /** Local subscribers of `topic` (live set: do not keep it). */
  subscribers(topic: string): ReadonlySet<Subscriber> | undefined {
    return this.byTopic.get(topic);
  }

  topicsOf(conn: Subscriber): ReadonlySet<string> {
    return this.bySubscriber.get(conn) ?? NO_TOPICS;
  }

  /** Returns true when `topic` had no local subscriber before. */
  add(conn: Subscriber, topic: string): boolean {
    let topics = this.bySubscriber.get(conn);
    if (!topics) this.bySubscriber.set(conn, (topics = new Set()));
    topics.add(topic);
    let members = this.byTopic.get(topic);
    const first = !members;
    if (!members) this.byTopic.set(topic, (members = new Set()));
    members.add(conn);
    return first;
  }

  /** Returns true when `conn` was the last local subscriber of `topic`. */
  remove(conn: Subscriber, topic: string): boolean {
    const topics = this.bySubscriber.get(conn);
    if (!topics?.delete(topic)) return false;
    if (topics.size === 0) this.bySubscriber.delete(conn);
    const members = this.byTopic.get(topic)!;
    members.delete(conn);
    if (members.size > 0) return false;
    this.byTopic.delete(topic);
    return true;
  }
}

function linkOf(conn: Subscriber): PubSubLink {
  const link = conn[kPubSub];
  if (!link) throw new WebSocketClosedError('subscribe: this connection does not belong to a running app');
  return link;
}

/** `conn.subscribe(topic)`: effective locally at once; resolves when the broker confirmed the topic. */
export function subscribe(conn: Subscriber, topic: string): Promise<void> {
  if (typeof topic !== 'string') throw new TypeError(`subscribe: topic must be a string, got ${typeof topic}`);
  if (!conn.isOpen) throw new WebSocketClosedError('subscribe: WebSocket is closed');
  const { host } = linkOf(conn);
  const confirmed = host.registry.add(conn, topic) ? host.firstSubscriber(topic) : host.confirmation(topic);
  confirmed.catch(noop);
  return confirmed;
}

/** `conn.unsubscribe(topic)`: no more messages of `topic` from now on. */
export function unsubscribe(conn: Subscriber, topic: string): Promise<void> {
  const host = conn[kPubSub]?.host;
  if (!host?.registry.remove(conn, topic)) return Promise.resolve();
  const done = host.lastSubscriberLeft(topic);
  done.catch(noop);
  return done;
}

/** `conn.topics`: a snapshot of the connection's topics. */
export function topicsOf(conn: Subscriber): ReadonlySet<string> {
  const host = conn[kPubSub]?.host;
  return new Set(host?.registry.topicsOf(conn));
}

/** The connection has ended: it leaves every topic. */
export function dropConnection(conn: Subscriber): void {
  const host = conn[kPubSub]?.host;
  if (!host) return;
  for (const topic of [...host.registry.topicsOf(conn)]) void unsubscribe(conn, topic);
}
