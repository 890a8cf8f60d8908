/**
 * Gateways and helpers shared by the topic tests (test/hub.test.ts, test/integration/redis.test.ts).
 */
import type WebSocket from 'ws';
import { Connection, Gateway, Hub, OnMessage, OnOpen, type App } from '../../src';
import { eventually } from './eventually';
import { collect, connect } from './ws-client';

/** Server-side connections of SubscriberGateway, in the order they opened. */
export const subscriberConnections: Connection[] = [];

/**
 * `/topics/:topic` subscribes on open (and answers `ready` once the broker confirmed). Commands:
 * `pub:TOPIC:TEXT` publishes TEXT to TOPIC except to itself (answers `published` or `failed:ERROR`),
 * `sub:TOPIC` / `unsub:TOPIC` (answer `subscribed:TOPIC` / `unsubscribed:TOPIC` once confirmed),
 * `topics` (JSON list of conn.topics), `echo:TEXT` (answers TEXT).
 */
@Gateway('/topics/:topic')
export class SubscriberGateway {
  constructor(
    private readonly conn: Connection,
    private readonly hub: Hub,
  ) {}

  @OnOpen() async open(topic: string): Promise<void> {
    subscriberConnections.push(this.conn);
    await this.conn.subscribe(topic);
    await this.conn.writeMessage('ready');
  }

  @OnMessage() async onMessage(m: string): Promise<unknown> {
    const [command, topic, ...rest] = m.split(':');
    if (command === 'pub') {
      try {
        await this.hub.publish(topic, rest.join(':'), { except: this.conn });
        return 'published';
      } catch (err) {
        return `failed:${(err as Error).name}`;
      }
    }
    if (command === 'sub') return this.conn.subscribe(topic).then(() => `subscribed:${topic}`);
    if (command === 'unsub') return this.conn.unsubscribe(topic).then(() => `unsubscribed:${topic}`);
    if (command === 'topics') return [...this.conn.topics];
    if (command === 'echo') return [topic, ...rest].join(':');
    return undefined;
  }
}

/** The same gateway with per-gateway slow-subscriber options: skip rather than close. */
@Gateway('/dropping/:topic', { backpressurePolicy: 'drop', maxBackpressure: 64 * 1024 })
export class DroppingSubscriberGateway extends SubscriberGateway {}

/** Connects to `/topics/<topic>` and waits until the subscription is confirmed. */
export async function subscriber(url: string, options?: WebSocket.ClientOptions): Promise<WebSocket> {
  const ws = await connect(url, undefined, options);
  await eventually(() => collect(ws)[0] === 'ready', `"ready" from ${url}`);
  return ws;
}

/** Messages after "ready" (text only). */
export function received(ws: WebSocket): string[] {
  return collect(ws)
    .slice(1)
    .map((m) => m.toString());
}

/** The app's Hub, as gateways get it injected. */
export function hubOf(app: App): Hub {
  return app.container.resolve(Hub);
}
