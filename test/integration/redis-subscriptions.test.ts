/**
 * Topics (docs/behaviour.md#topics) with RedisBroker: the Redis subscription of a topic follows its local subscribers even when
 * subscribe and unsubscribe race each other or the broker's replies, and a closed app opens no
 * Redis connection again. Real Redis at 127.0.0.1:6379 (unique channel prefixes per test).
 */
import { createClient } from 'redis';
import { BrokerError, createApp } from '../../src';
import { RedisBroker } from '../../src/redis';
import { startApp, type TestApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { onCleanup } from '../helpers/cleanup';
import { DroppingSubscriberGateway, hubOf, received, subscriber, subscriberConnections, SubscriberGateway } from '../helpers/topics';
import { OwnedRedis, SHARED_REDIS_URL, subscriberCount, uniquePrefix } from './helpers/redis';

beforeEach(() => {
  subscriberConnections.length = 0;
});

async function twoNodes(prefix: string, url = SHARED_REDIS_URL): Promise<[TestApp, TestApp]> {
  const gateways = [SubscriberGateway, DroppingSubscriberGateway];
  const a = await startApp(gateways, { broker: new RedisBroker({ url, prefix }) });
  const b = await startApp(gateways, { broker: new RedisBroker({ url, prefix }) });
  return [a, b];
}

/** Publishes once the node's publisher connection is back after an outage (bounded). */
async function publishOnceBack(node: TestApp, topic: string, message: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await hubOf(node.app).publish(topic, message);
    } catch (err) {
      if (!(err instanceof BrokerError) || attempt >= 500) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** Names of the Redis connections currently open (CLIENT LIST). */
async function clientNames(): Promise<string[]> {
  const admin = createClient({ url: SHARED_REDIS_URL });
  admin.on('error', () => undefined);
  await admin.connect();
  try {
    const list = await admin.clientList();
    return list.map((c) => c.name);
  } finally {
    admin.destroy();
  }
}

describe('RedisBroker: subscriptions follow the local subscribers', () => {
  it('a topic re-subscribed while the last subscriber’s UNSUBSCRIBE is in flight stays subscribed at Redis and receives', async () => {
    const prefix = uniquePrefix();
    const [a, b] = await twoNodes(prefix);
    const leaving = await subscriber(b.url('/topics/room'));
    const joining = await subscriber(b.url('/topics/other'));
    const [leavingConn, joiningConn] = subscriberConnections;
    // The last subscriber leaves and another joins in the same turn: UNSUBSCRIBE is sent before its reply.
    void leavingConn.unsubscribe('room');
    await joiningConn.subscribe('room');
    expect(hubOf(b.app).localSubscribers('room')).toBe(1);
    await hubOf(a.app).publish('room', 'after the rejoin');
    joining.send('echo:marker'); // B's own reply: a message from A would be in flight already
    await eventually(() => received(joining).includes('after the rejoin'), 'the message from node A', 5000);
    expect(await subscriberCount(SHARED_REDIS_URL, `${prefix}room`)).toBe(1);
    expect(received(leaving)).toEqual([]);
  });

  it('a topic subscribed and unsubscribed in the same turn leaves no Redis subscription behind', async () => {
    const prefix = uniquePrefix();
    const [, b] = await twoNodes(prefix);
    await subscriber(b.url('/topics/home'));
    const [conn] = subscriberConnections;
    const subscribed = conn.subscribe('brief');
    const unsubscribed = conn.unsubscribe('brief');
    await Promise.all([subscribed, unsubscribed]);
    // One subscriber connection runs commands in order: once this is confirmed, 'brief' was settled.
    await conn.subscribe('probe');
    expect(hubOf(b.app).localSubscribers('brief')).toBe(0);
    expect(await subscriberCount(SHARED_REDIS_URL, `${prefix}brief`)).toBe(0);
  });

  it('a topic subscribed again after such a race is delivered once per message, not twice', async () => {
    const prefix = uniquePrefix();
    const [a, b] = await twoNodes(prefix);
    const ws = await subscriber(b.url('/topics/home'));
    const [conn] = subscriberConnections;
    void conn.subscribe('twice');
    void conn.unsubscribe('twice');
    await conn.subscribe('twice');
    await hubOf(a.app).publish('twice', 'one');
    await hubOf(a.app).publish('home', 'end'); // same publisher and subscriber connections: arrives after 'one'
    await eventually(() => received(ws).includes('end'), 'the end marker');
    expect(received(ws)).toEqual(['one', 'end']);
  });
});

describe('RedisBroker: an UNSUBSCRIBE lost with the connection', () => {
  it('is not undone by the resubscription after the reconnect, and the topic subscribed again is delivered once', async () => {
    const redis = await OwnedRedis.start();
    const prefix = uniquePrefix();
    const [a, b] = await twoNodes(prefix, redis.url);
    const ws = await subscriber(b.url('/topics/keep'));
    const [conn] = subscriberConnections;
    await conn.subscribe('gone');
    // The server stops answering: the UNSUBSCRIBE is written but its reply never comes.
    redis.freeze();
    const unsubscribed = conn.unsubscribe('gone').then(
      () => 'resolved',
      (err: unknown) => `rejected: ${String(err)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    await redis.stop(); // the connection drops with the UNSUBSCRIBE in flight
    await redis.restart();
    expect(await unsubscribed).toBe('resolved');
    // B's subscriber connection is back once 'keep' is subscribed again.
    for (let i = 0; i < 500 && (await subscriberCount(redis.url, `${prefix}keep`)) === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await subscriberCount(redis.url, `${prefix}keep`)).toBe(1);
    await conn.subscribe('probe'); // commands run in order: whatever B sent for 'gone' is done
    expect(hubOf(b.app).localSubscribers('gone')).toBe(0);
    expect(await subscriberCount(redis.url, `${prefix}gone`)).toBe(0);

    await conn.subscribe('gone');
    await publishOnceBack(a, 'gone', 'once');
    await hubOf(a.app).publish('keep', 'end'); // same connections: arrives after 'once'
    await eventually(() => received(ws).includes('end'), 'the end marker', 10_000);
    expect(received(ws)).toEqual(['once', 'end']);
  });
});

describe('RedisBroker: a SUBSCRIBE lost with the connection', () => {
  it('is sent again after the reconnect: the subscribe resolves and messages from the other node arrive', async () => {
    const redis = await OwnedRedis.start();
    const prefix = uniquePrefix();
    const [a, b] = await twoNodes(prefix, redis.url);
    const ws = await subscriber(b.url('/topics/keep'));
    const [conn] = subscriberConnections;
    redis.freeze();
    const outcome = conn.subscribe('late').then(
      () => 'resolved',
      (err: unknown) => `rejected: ${String(err)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    await redis.stop(); // the connection drops with the SUBSCRIBE in flight
    await redis.restart();
    expect(await outcome).toBe('resolved');
    expect(await subscriberCount(redis.url, `${prefix}late`)).toBe(1);
    await publishOnceBack(a, 'late', 'arrived');
    await eventually(() => received(ws).includes('arrived'), 'the message from node A', 10_000);
  });
});

describe('RedisBroker after app.close()', () => {
  it('app.close() while listen() connects to Redis: listen() rejects and no Redis connection stays open', async () => {
    const name = `wsgate-closing-${process.pid}-${Date.now()}`;
    const app = createApp({ gateways: [SubscriberGateway], broker: new RedisBroker({ url: SHARED_REDIS_URL, client: { name } }) });
    const listening = app.listen(0, '127.0.0.1');
    listening.catch(() => undefined);
    await app.close();
    await expect(listening).rejects.toThrow(/listen: the app was closed/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await clientNames()).filter((n) => n === name)).toEqual([]);
  });


  it('publish on a closed app that never listened rejects with BrokerError and opens no Redis connection', async () => {
    const name = `wsgate-closed-${process.pid}-${Date.now()}`;
    const app = createApp({ gateways: [SubscriberGateway], broker: new RedisBroker({ url: SHARED_REDIS_URL, client: { name } }) });
    await app.close();
    await expect(hubOf(app).publish('t', 'late')).rejects.toThrow(BrokerError);
    // Give a connection that would have been opened the time to say its name.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const open = (await clientNames()).filter((n) => n === name);
    onCleanup(async () => {
      // Should the check fail, do not leave the connections open for the rest of the run.
      await app.close();
    });
    expect(open).toEqual([]);
  });
});
