/**
 * Topics (docs/behaviour.md#topics) across nodes: two apps in this process, each with its own RedisBroker (its own Redis
 * connections), as two processes would have; plus samples/chat.ts started twice as real processes.
 * Needs redis-server (Debian's package): the shared server at 127.0.0.1:6379 and private ones the
 * tests start on free ports.
 */
import { createClient } from 'redis';
import { BrokerError, createApp, type App } from '../../src';
import { RedisBroker } from '../../src/redis';
import { startApp, type TestApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { onCleanup } from '../helpers/cleanup';
import { closed } from '../helpers/ws-client';
import { DroppingSubscriberGateway, hubOf, received, subscriber, subscriberConnections, SubscriberGateway } from '../helpers/topics';
import { joinChat, loginAs } from '../helpers/chat-member';
import { startChatProcess } from './helpers/chat-process';
import { OwnedRedis, SHARED_REDIS_URL, subscriberCount, uniquePrefix } from './helpers/redis';


beforeEach(() => {
  subscriberConnections.length = 0;
});

/** Two apps ("nodes") sharing one Redis and one channel prefix. */
async function twoNodes(url = SHARED_REDIS_URL, prefix = uniquePrefix()): Promise<[TestApp, TestApp]> {
  const gateways = [SubscriberGateway, DroppingSubscriberGateway];
  const a = await startApp(gateways, { broker: new RedisBroker({ url, prefix }), maxBackpressure: 256 * 1024, closeTimeout: 20_000 });
  const b = await startApp(gateways, { broker: new RedisBroker({ url, prefix }), maxBackpressure: 256 * 1024, closeTimeout: 20_000 });
  return [a, b];
}

/** Runs `check` (async) until it holds, at most `timeoutMs`; `step` runs before each check. */
async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000, step?: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await step?.();
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const numbered = (n: number, prefix = 'm'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('RedisBroker: two apps, two brokers', () => {
  it('delivers 1,000 numbered messages from app A to a subscriber on app B in order, exactly once each', async () => {
    const [a, b] = await twoNodes();
    const remote = await subscriber(b.url('/topics/news'));
    const local = await subscriber(a.url('/topics/news'));
    const expected = numbered(1000);
    await Promise.all(expected.map((m) => hubOf(a.app).publish('news', m)));
    await hubOf(a.app).publish('news', 'end');
    await eventually(() => received(remote).at(-1) === 'end', 'the last message on B', 15_000);
    expect(received(remote)).toEqual([...expected, 'end']);
    // A's own subscriber got each message once: locally, not a second time through Redis.
    remote.send('echo:marker'); // a round trip through B gives A's copies time to arrive, were they sent
    await eventually(() => received(remote).at(-1) === 'marker', 'marker');
    expect(received(local)).toEqual([...expected, 'end']);
  });

  it('skips the sender given as except, on its own node and on the other', async () => {
    const [a, b] = await twoNodes();
    const sender = await subscriber(a.url('/topics/room'));
    const neighbour = await subscriber(a.url('/topics/room'));
    const remote = await subscriber(b.url('/topics/room'));
    sender.send('pub:room:hello');
    await eventually(() => received(remote).length === 1 && received(neighbour).length === 1, 'delivery');
    await eventually(() => received(sender).length === 1, 'the publish result');
    expect(received(remote)).toEqual(['hello']);
    expect(received(neighbour)).toEqual(['hello']);
    expect(received(sender)).toEqual(['published']);
  });

  it('unsubscribe and close stop delivery from the other node, and the Redis subscription goes with the last subscriber', async () => {
    const prefix = uniquePrefix();
    const [a, b] = await twoNodes(SHARED_REDIS_URL, prefix);
    const ws = await subscriber(b.url('/topics/one'));
    ws.send('sub:two');
    await eventually(() => received(ws).includes('subscribed:two'), 'subscribed to two');
    expect(await subscriberCount(SHARED_REDIS_URL, `${prefix}one`)).toBe(1);
    ws.send('unsub:one');
    await eventually(() => received(ws).includes('unsubscribed:one'), 'unsubscribed from one');
    expect(await subscriberCount(SHARED_REDIS_URL, `${prefix}one`)).toBe(0);
    // One publisher connection to one subscriber connection: Redis keeps the order across channels.
    await hubOf(a.app).publish('one', 'not for you');
    await hubOf(a.app).publish('two', 'for you');
    await eventually(() => received(ws).at(-1) === 'for you', 'message on two');
    expect(received(ws)).toEqual(['subscribed:two', 'unsubscribed:one', 'for you']);

    const end = closed(ws);
    ws.close(1000);
    await end;
    await eventually(() => hubOf(b.app).localSubscribers('two') === 0, 'B has no subscriber left');
    await until(async () => (await subscriberCount(SHARED_REDIS_URL, `${prefix}two`)) === 0, 'B unsubscribed at Redis');
    await hubOf(a.app).publish('two', 'after close'); // no subscriber anywhere: nothing to deliver, no error
  });

  it('rejects publish with BrokerError while Redis is down, then resumes delivery with the subscriptions restored', async () => {
    const redis = await OwnedRedis.start();
    const prefix = uniquePrefix();
    const [a, b] = await twoNodes(redis.url, prefix);
    const remote = await subscriber(b.url('/topics/live'));
    const local = await subscriber(a.url('/topics/live'));
    await hubOf(a.app).publish('live', 'before');
    await eventually(() => received(remote).length === 1, 'before the outage');

    await redis.stop();
    let rejection: unknown;
    for (let attempt = 0; attempt < 200 && !rejection; attempt++) {
      // The first publishes may race the client noticing the closed socket; bounded.
      await hubOf(a.app).publish('live', `during-${attempt}`).catch((err: unknown) => (rejection = err));
      if (!rejection) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(rejection).toBeInstanceOf(BrokerError);
    expect((rejection as Error).message).toMatch(/RedisBroker: publish to "live" failed/);
    // Local subscribers still get what is published during the outage.
    await eventually(() => received(local).some((m) => m.startsWith('during-')), 'local delivery during the outage');
    local.send('pub:live:from a gateway');
    await eventually(() => received(local).at(-1)?.startsWith('failed:') === true, 'the gateway sees the rejection');
    expect(received(local).at(-1)).toBe('failed:BrokerError');
    expect(a.logger.warnings.some((w) => w.includes('RedisBroker') && w.includes('reconnecting'))).toBe(true);

    await redis.restart();
    // Resubscription happens on B's reconnect: probe until a message crosses (bounded).
    await until(() => received(remote).includes('probe'), 'delivery resumes', 15_000, async () => {
      await hubOf(a.app).publish('live', 'probe').catch(() => undefined);
    });
    // Both nodes have a subscriber of "live": both subscriber connections subscribed again.
    await until(async () => (await subscriberCount(redis.url, `${prefix}live`)) === 2, 'both nodes resubscribed');
    const expected = numbered(100, 'after');
    for (const m of expected) await hubOf(a.app).publish('live', m);
    await eventually(() => received(remote).at(-1) === 'after99', 'messages after the outage');
    const afterProbes = received(remote).filter((m) => m.startsWith('after'));
    expect(afterProbes).toEqual(expected);
    expect(received(remote).some((m) => m.startsWith('during-'))).toBe(false);
  });

  it('closes a slow subscriber on B with 1013 and skips messages for a dropping one; the fast subscriber gets everything', async () => {
    const [a, b] = await twoNodes();
    const slowClose = await subscriber(b.url('/topics/feed'));
    const slowDrop = await subscriber(b.url('/dropping/feed'));
    const fast = await subscriber(b.url('/topics/feed'));
    const [closeConn, dropConn] = subscriberConnections;
    slowClose.pause();
    slowDrop.pause();
    const chunk = 'z'.repeat(64 * 1024);
    let sent = 0;
    for (; sent < 512 && (closeConn.isOpen || sent < 256); sent++) {
      await hubOf(a.app).publish('feed', `${sent}:${chunk}`);
      if (sent % 16 === 15) {
        await eventually(() => received(fast).length === sent + 1, 'the fast subscriber keeps up', 10_000);
        expect(closeConn.bufferedAmount).toBeLessThanOrEqual(256 * 1024);
        // Its gateway's limit, or one message (plus its 10-byte frame header) written while nothing was unflushed.
        expect(dropConn.bufferedAmount).toBeLessThanOrEqual(Math.max(64 * 1024, chunk.length + '511:'.length + 10));
      }
    }
    await eventually(() => received(fast).length === sent, 'everything to the fast subscriber', 10_000);
    expect(closeConn.isOpen).toBe(false);
    expect(dropConn.isOpen).toBe(true);
    const end = closed(slowClose);
    slowClose.resume();
    expect(await end).toEqual({ code: 1013, reason: 'Subscriber too slow' });
    slowDrop.resume();
    await eventually(() => dropConn.bufferedAmount === 0, 'the dropping subscriber drains', 10_000);
    await hubOf(a.app).publish('feed', 'last'); // nothing unflushed any more: not dropped
    await eventually(() => received(slowDrop).at(-1) === 'last', 'the last message', 10_000);
    const got = received(slowDrop).slice(0, -1).map((m) => Number(m.split(':')[0]));
    expect(got.length).toBeLessThan(sent);
    expect(new Set(got).size).toBe(got.length);
    expect(got).toEqual([...got].sort((x, y) => x - y));
    await eventually(() => received(fast).at(-1) === 'last', 'the last message to the fast subscriber');
    expect(received(fast).slice(0, -1).map((m) => Number(m.split(':')[0]))).toEqual(Array.from({ length: sent }, (_, i) => i));
  });

  it('ignores, with a warning, a message on its channel that another program published', async () => {
    const prefix = uniquePrefix();
    const [a, b] = await twoNodes(SHARED_REDIS_URL, prefix);
    const ws = await subscriber(b.url('/topics/t'));
    const other = createClient({ url: SHARED_REDIS_URL });
    other.on('error', () => undefined);
    await other.connect();
    onCleanup(() => other.destroy());
    await other.publish(`${prefix}t`, 'not an envelope');
    await hubOf(a.app).publish('t', 'real');
    await eventually(() => received(ws).length === 1, 'the real message');
    expect(received(ws)).toEqual(['real']);
    expect(b.logger.warnings.some((w) => /dropped 1 message.*not an envelope/.test(w))).toBe(true);
  });

  it('listen() rejects with BrokerError when Redis cannot be reached', async () => {
    const redis = await OwnedRedis.start();
    await redis.stop();
    const app: App = createApp({ gateways: [SubscriberGateway], broker: new RedisBroker({ url: redis.url, connectAttempts: 2 }) });
    onCleanup(() => app.close());
    await expect(app.listen(0, '127.0.0.1')).rejects.toThrow(BrokerError);
  });
});

describe('samples/chat.ts started twice with REDIS_URL (and one CHAT_SECRET)', () => {
  it('a line said on one process reaches the room’s members on the other (typed client), and only that room; joined, typing, left too', async () => {
    const [one, two] = await Promise.all([startChatProcess(), startChatProcess()]);
    const room = `room-${process.pid}-${Date.now()}`;
    const alice = await joinChat(`ws://127.0.0.1:${one.port}/chat/${room}`, loginAs(one.base, 'alice'));
    expect(await alice.waitFor('welcome')).toEqual({ nick: 'alice', room }); // subscribed by then
    // Bob logs in on process one and joins on process two: the processes share CHAT_SECRET.
    const bob = await joinChat(`ws://127.0.0.1:${two.port}/chat/${room}`, loginAs(one.base, 'bob'));
    const elsewhere = await joinChat(`ws://127.0.0.1:${two.port}/chat/${room}-other`, loginAs(two.base, 'elsewhere'));
    expect(await bob.waitFor('welcome')).toEqual({ nick: 'bob', room });
    expect(await alice.waitFor('joined')).toEqual({ nick: 'bob' }); // across processes

    const { id } = await alice.c.call('say', { text: 'hello from one' });
    expect(await bob.waitFor('message')).toEqual({ id, nick: 'alice', text: 'hello from one', at: expect.any(Number) });
    await alice.c.send('typing', { on: true });
    expect(await bob.waitFor('typing')).toEqual({ nick: 'alice', on: true });
    await bob.c.call('say', { text: 'hi back' });
    expect(await alice.waitFor('message')).toMatchObject({ nick: 'bob', text: 'hi back' });
    expect(alice.of('message').map((m) => m.text)).toEqual(['hi back']); // except: the sender
    await elsewhere.c.call('nick', { nick: 'elsewhere' });
    expect(elsewhere.seen.map(([type]) => type)).toEqual(['welcome']);

    await bob.c.close();
    expect(await alice.waitFor('left')).toEqual({ nick: 'bob' });
  });
});
