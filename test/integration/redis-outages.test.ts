/**
 * RedisBroker when Redis misbehaves: a server that stops answering with its connections up (SIGSTOP),
 * crafted bytes on a topic's channel, and many SUBSCRIBEs lost with a connection. Private
 * redis-server processes the tests start on free ports (and kill by PID afterwards), plus the
 * shared server at 127.0.0.1:6379 for the crafted-bytes test.
 */
import { runInThisContext } from 'node:vm';
import { createClient } from 'redis';
import WebSocket from 'ws';
import { BrokerError } from '../../src';
import { RedisBroker, type RedisBrokerOptions } from '../../src/redis';
import { startApp, type TestApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { onCleanup } from '../helpers/cleanup';
import { collect } from '../helpers/ws-client';
import { hubOf, received, subscriber, subscriberConnections, SubscriberGateway } from '../helpers/topics';
import { OwnedRedis, SHARED_REDIS_URL, uniquePrefix } from './helpers/redis';

beforeEach(() => {
  subscriberConnections.length = 0;
});

async function twoNodes(options: RedisBrokerOptions): Promise<[TestApp, TestApp]> {
  const a = await startApp([SubscriberGateway], { broker: new RedisBroker(options) });
  const b = await startApp([SubscriberGateway], { broker: new RedisBroker(options) });
  return [a, b];
}

/** Publishes `message` from `node` every 50 ms until `arrived()` (bounded): a node back from an outage may need a few tries. */
async function publishUntil(node: TestApp, topic: string, message: string, arrived: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!arrived()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await hubOf(node.app)
      .publish(topic, message)
      .catch((err: unknown) => {
        if (!(err instanceof BrokerError)) throw err;
      });
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const outcome = (p: Promise<unknown>): Promise<unknown> => p.then(() => 'resolved', (err: unknown) => err);

describe('RedisBroker: commandTimeout', () => {
  it('a frozen Redis: publish, subscribe and a handler awaiting a publish reject with BrokerError; after SIGCONT subscriptions made before the freeze receive again', async () => {
    const redis = await OwnedRedis.start();
    const [a, b] = await twoNodes({ url: redis.url, prefix: uniquePrefix(), commandTimeout: 500 });
    const sender = await subscriber(a.url('/topics/side'));
    const ws = await subscriber(b.url('/topics/before'));
    const conn = subscriberConnections[1];
    await publishUntil(a, 'before', 'warm', () => received(ws).includes('warm'), 'the message before the freeze');

    redis.freeze();
    const published = outcome(hubOf(a.app).publish('before', 'lost'));
    const subscribed = outcome(conn.subscribe('during'));
    sender.send('pub:before:from a handler');
    expect(await published).toBeInstanceOf(BrokerError);
    expect(String(await published)).toMatch(/no reply from .* within 500 ms/);
    expect(await subscribed).toBeInstanceOf(BrokerError);
    expect(String(await subscribed)).toMatch(/no reply from .* within 500 ms/);
    await eventually(() => received(sender).length === 1, 'the handler’s answer', 5000);
    expect(received(sender)).toEqual(['failed:BrokerError']);
    expect(a.logger.warnings.some((w) => /publisher: no reply within 500 ms/.test(w))).toBe(true);
    expect(b.logger.warnings.some((w) => /subscriber: no reply within 500 ms/.test(w))).toBe(true);

    redis.resume();
    await publishUntil(a, 'before', 'back', () => received(ws).includes('back'), 'a message after SIGCONT');
    // The topic whose SUBSCRIBE timed out still has its local subscriber: it is subscribed on the new connection.
    expect(hubOf(b.app).localSubscribers('during')).toBe(1);
    await publishUntil(a, 'during', 'late', () => received(ws).includes('late'), 'a message on the topic subscribed during the freeze');
    expect(ws.readyState).toBe(WebSocket.OPEN);
    expect(sender.readyState).toBe(WebSocket.OPEN);
  });

  it('rejects an invalid commandTimeout with RangeError', () => {
    for (const commandTimeout of [0, -1, Number.NaN, Infinity, 2 ** 31, '5000' as unknown as number]) {
      expect(() => new RedisBroker({ commandTimeout })).toThrow(RangeError);
    }
    expect(() => new RedisBroker({ commandTimeout: 1 })).not.toThrow();
  });
});

describe('RedisBroker: crafted bytes on a topic channel', () => {
  it('a text envelope whose payload is not valid UTF-8 reaches no subscriber on any node, and each node warns once', async () => {
    const prefix = uniquePrefix();
    const [a, b] = await twoNodes({ url: SHARED_REDIS_URL, prefix });
    const onA = await subscriber(a.url('/topics/t'));
    const onB = await subscriber(b.url('/topics/t'));
    const raw = createClient({ url: SHARED_REDIS_URL });
    raw.on('error', () => undefined);
    await raw.connect();
    onCleanup(() => raw.destroy());
    const envelope = (kind: number, payload: Buffer): Buffer => Buffer.concat([Buffer.from([kind, 5]), Buffer.from('other'), payload]);
    for (let i = 0; i < 50; i++) await raw.publish(`${prefix}t`, envelope(0, Buffer.from([0x61, 0xff, 0xfe, 0xc3])));
    // Same connection to Redis, so it reaches each node after the junk.
    await raw.publish(`${prefix}t`, envelope(0, Buffer.from('valid')));
    await eventually(() => received(onA).includes('valid') && received(onB).includes('valid'), 'the valid message on both nodes');
    expect(collect(onA).slice(1)).toEqual(['valid']);
    expect(collect(onB).slice(1)).toEqual(['valid']);
    expect([onA.readyState, onB.readyState]).toEqual([WebSocket.OPEN, WebSocket.OPEN]);
    for (const node of [a, b]) {
      const junk = node.logger.warnings.filter((w) => w.includes('dropped'));
      expect(junk).toHaveLength(1);
      expect(junk[0]).toMatch(/not valid UTF-8/);
    }
  });
});

describe('RedisBroker: many SUBSCRIBEs lost with the connection', () => {
  it('15 lost SUBSCRIBEs add no listener each (no MaxListenersExceededWarning) and all are subscribed after the reconnect', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    // jest gives each test file a copy of `process`; Node emits 'warning' on the real one.
    const realProcess = runInThisContext('process') as NodeJS.Process;
    realProcess.on('warning', onWarning);
    onCleanup(() => realProcess.off('warning', onWarning));
    const redis = await OwnedRedis.start();
    // The connection drops long before any command times out: this is about the lost replies.
    const [a, b] = await twoNodes({ url: redis.url, prefix: uniquePrefix(), commandTimeout: 30_000 });
    const ws = await subscriber(b.url('/topics/keep'));
    const [conn] = subscriberConnections;
    const topics = Array.from({ length: 15 }, (_, i) => `lost${i}`);
    redis.freeze();
    const outcomes = topics.map((topic) => outcome(conn.subscribe(topic)));
    await new Promise((resolve) => setTimeout(resolve, 100)); // the SUBSCRIBEs are written, no reply comes
    await redis.stop(); // the connection drops with all of them in flight
    await redis.restart();
    expect(await Promise.all(outcomes)).toEqual(topics.map(() => 'resolved'));
    for (const topic of topics) {
      await publishUntil(a, topic, `on ${topic}`, () => received(ws).includes(`on ${topic}`), `a message on ${topic}`);
    }
    await new Promise((resolve) => setImmediate(resolve)); // process warnings are emitted on a later tick
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map(String)).toEqual([]);
  });
});
