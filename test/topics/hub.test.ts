/**
 * Topics (docs/behaviour.md#topics) with the default MemoryBroker: topics inside one app, slow subscribers, and apps that
 * share (or do not share) a MemoryBus.
 */
import { BrokerError, Connection, createApp, Gateway, GatewayDefinitionError, Hub, MemoryBroker, MemoryBus, OnMessage, WebSocketClosedError } from '../../src';
import { startApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { closed, collect, connect } from '../helpers/ws-client';
import {
  DroppingSubscriberGateway,
  hubOf,
  received,
  subscriber,
  subscriberConnections,
  SubscriberGateway,
} from '../helpers/topics';

beforeEach(() => {
  subscriberConnections.length = 0;
});

const numbered = (n: number, prefix = 'm'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('Hub with MemoryBroker (one app)', () => {
  it('delivers 1,000 published messages to every subscriber, in publish order, exactly once', async () => {
    const { app, url } = await startApp([SubscriberGateway]);
    const a = await subscriber(url('/topics/news'));
    const b = await subscriber(url('/topics/news'));
    const other = await subscriber(url('/topics/sports'));
    const hub = hubOf(app);
    expect(hub.localSubscribers('news')).toBe(2);
    const expected = numbered(1000);
    await Promise.all(expected.map((m) => hub.publish('news', m)));
    await eventually(() => received(a).length >= 1000 && received(b).length >= 1000, '1,000 messages each');
    expect(received(a)).toEqual(expected);
    expect(received(b)).toEqual(expected);
    other.send('echo:marker'); // the same socket: anything published to it would have come first
    await eventually(() => received(other).length === 1, 'marker');
    expect(received(other)).toEqual(['marker']);
  });

  it('encodes like writeMessage: objects as JSON text, Buffers and binary: true as binary frames', async () => {
    const { app, url } = await startApp([SubscriberGateway]);
    const ws = await subscriber(url('/topics/t'));
    const binaries: boolean[] = [];
    ws.on('message', (_d, isBinary: boolean) => binaries.push(isBinary));
    const hub = hubOf(app);
    await hub.publish('t', { text: 'hi', n: 1 });
    await hub.publish('t', Buffer.from([1, 2, 3]));
    await hub.publish('t', 'as bytes', { binary: true });
    await hub.publish('t', 'x'.repeat(70_000)); // 64-bit length header
    await eventually(() => collect(ws).length === 5, 'four messages');
    const [, json, bytes, asBytes, long] = collect(ws);
    expect(JSON.parse(json as string)).toEqual({ text: 'hi', n: 1 });
    expect(bytes).toEqual(Buffer.from([1, 2, 3]));
    expect(asBytes).toEqual(Buffer.from('as bytes'));
    expect(long).toBe('x'.repeat(70_000));
    expect(binaries).toEqual([false, true, true, false]);
    expect(() => hub.publish('t', undefined as never)).toThrow(TypeError);
  });

  it('frames every payload length right (7-bit, 16-bit and 64-bit lengths, at their boundaries)', async () => {
    const { app, url } = await startApp([SubscriberGateway]);
    const ws = await subscriber(url('/topics/sizes'));
    const sizes = [0, 1, 125, 126, 127, 65535, 65536, 65537];
    for (const n of sizes) void hubOf(app).publish('sizes', 'a'.repeat(n)); // n bytes
    void hubOf(app).publish('sizes', 'é'.repeat(63)); // 126 bytes of UTF-8 in 63 characters
    await eventually(() => received(ws).length === sizes.length + 1, 'every size');
    expect(received(ws).map((m) => m.length)).toEqual([...sizes, 63]);
    expect(received(ws).slice(0, -1).every((m) => /^a*$/.test(m))).toBe(true);
    expect(received(ws).at(-1)).toBe('é'.repeat(63));
  });

  it('skips the connection given as except, and only it', async () => {
    const { url } = await startApp([SubscriberGateway]);
    const sender = await subscriber(url('/topics/room'));
    const peer = await subscriber(url('/topics/room'));
    sender.send('pub:room:hello');
    await eventually(() => received(sender).length === 1 && received(peer).length === 1, 'publish');
    expect(received(peer)).toEqual(['hello']);
    expect(received(sender)).toEqual(['published']);
  });

  it('unsubscribe stops delivery to that connection; conn.topics follows', async () => {
    const { app, url } = await startApp([SubscriberGateway]);
    const ws = await subscriber(url('/topics/a'));
    const hub = hubOf(app);
    ws.send('sub:b');
    await eventually(() => received(ws).includes('subscribed:b'), 'subscribed to b');
    ws.send('topics');
    await eventually(() => received(ws).length === 2, 'topics');
    expect(JSON.parse(received(ws)[1])).toEqual(['a', 'b']);
    ws.send('unsub:a');
    await eventually(() => received(ws).length === 3, 'unsubscribed');
    expect(hub.localSubscribers('a')).toBe(0);
    await hub.publish('a', 'not for you');
    await hub.publish('b', 'for you');
    await eventually(() => received(ws).length === 4, 'message on b');
    expect(received(ws).slice(2)).toEqual(['unsubscribed:a', 'for you']);
  });

  it('a closed connection leaves every topic and gets nothing more; others are unaffected', async () => {
    const { app, url } = await startApp([SubscriberGateway]);
    const leaving = await subscriber(url('/topics/room'));
    const staying = await subscriber(url('/topics/room'));
    const hub = hubOf(app);
    const conn = subscriberConnections[0];
    const end = closed(leaving);
    leaving.close(1000);
    await end;
    await eventually(() => hub.localSubscribers('room') === 1, 'the closed connection left the topic');
    expect(conn.topics.size).toBe(0);
    expect(() => conn.subscribe('room')).toThrow(WebSocketClosedError);
    await hub.publish('room', 'after close');
    await eventually(() => received(staying).length === 1, 'delivery to the open subscriber');
    expect(received(staying)).toEqual(['after close']);
  });

  it("closes a subscriber that does not read with 1013 ('close', the default); other subscribers get everything", async () => {
    const { app, url } = await startApp([SubscriberGateway], { maxBackpressure: 256 * 1024, closeTimeout: 20_000 });
    const slow = await subscriber(url('/topics/feed'));
    const fast = await subscriber(url('/topics/feed'));
    const slowConn = subscriberConnections[0];
    slow.pause();
    const hub = hubOf(app);
    const chunk = 'x'.repeat(64 * 1024);
    let sent = 0;
    // Loopback socket buffers take several MiB before ws's own queue grows; bounded at 64 MiB.
    for (; sent < 1024 && slowConn.isOpen; sent++) {
      void hub.publish('feed', `${sent}:${chunk}`);
      expect(slowConn.bufferedAmount).toBeLessThanOrEqual(256 * 1024);
      if (sent % 16 === 15) await eventually(() => received(fast).length === sent + 1, 'the fast subscriber keeps up');
    }
    expect(slowConn.isOpen).toBe(false);
    const end = closed(slow);
    slow.resume();
    expect(await end).toEqual({ code: 1013, reason: 'Subscriber too slow' });
    await eventually(() => received(fast).length === sent, 'every message to the fast subscriber');
    expect(received(fast).map((m) => Number(m.split(':')[0]))).toEqual(Array.from({ length: sent }, (_, i) => i));
    expect(fast.readyState).toBe(fast.OPEN);
  });

  it("skips messages for a subscriber beyond maxBackpressure with 'drop' (per gateway); memory stays bounded, it stays open", async () => {
    const { app, url } = await startApp([SubscriberGateway, DroppingSubscriberGateway]);
    const slow = await subscriber(url('/dropping/feed'));
    const fast = await subscriber(url('/topics/feed'));
    const slowConn = subscriberConnections[0];
    slow.pause();
    const hub = hubOf(app);
    const chunk = 'y'.repeat(64 * 1024);
    const total = 512; // 32 MiB published, far more than the loopback buffers hold
    for (let i = 0; i < total; i++) {
      const message = `${i}:${chunk}`;
      void hub.publish('feed', message);
      // The gateway's own limit, or one message (plus its 10-byte frame header) written while nothing was unflushed.
      expect(slowConn.bufferedAmount).toBeLessThanOrEqual(Math.max(64 * 1024, message.length + 10));
      if (i % 16 === 15) await eventually(() => received(fast).length === i + 1, 'the fast subscriber keeps up');
    }
    expect(slowConn.isOpen).toBe(true);
    slow.resume();
    await eventually(() => slowConn.bufferedAmount === 0, 'the slow subscriber drains');
    await hub.publish('feed', 'last'); // nothing unflushed any more: not dropped
    await eventually(() => received(slow).at(-1) === 'last', 'the last message');
    const got = received(slow).slice(0, -1).map((m) => Number(m.split(':')[0]));
    expect(got.length).toBeLessThan(total);
    expect(got.length).toBeGreaterThan(0); // a message larger than the limit still goes to an idle subscriber
    expect(got).toEqual([...got].sort((x, y) => x - y)); // what it got is in order, without repeats
    expect(new Set(got).size).toBe(got.length);
    expect(received(fast)).toHaveLength(total + 1);
  });

  it('delivers a message larger than maxBackpressure to subscribers with nothing unflushed, without closing them', async () => {
    const { app, url } = await startApp([SubscriberGateway, DroppingSubscriberGateway], { maxBackpressure: 64 * 1024 });
    const closing = await subscriber(url('/topics/big'));
    const dropping = await subscriber(url('/dropping/big')); // 'drop', maxBackpressure 64 KiB
    const big = 'b'.repeat(100 * 1024);
    await hubOf(app).publish('big', big);
    await hubOf(app).publish('big', 'after');
    await eventually(() => received(closing).length === 2 && received(dropping).length === 2, 'both messages to both');
    expect(received(closing)).toEqual([big, 'after']);
    expect(received(dropping)).toEqual([big, 'after']);
    expect(subscriberConnections.every((c) => c.isOpen)).toBe(true);
  });

  it('sends the same messages through permessage-deflate connections (no shared frame), in order with writeMessage', async () => {
    const { app, url } = await startApp([SubscriberGateway], { compression: { threshold: 0 } });
    const ws = await subscriber(url('/topics/z'));
    const hub = hubOf(app);
    const expected = numbered(200);
    for (const [i, m] of expected.entries()) {
      void hub.publish('z', m);
      if (i === 100) void subscriberConnections[0].writeMessage('direct');
    }
    await eventually(() => received(ws).length === 201, 'all messages');
    expect(received(ws)).toEqual([...expected.slice(0, 101), 'direct', ...expected.slice(101)]);
  });

  it('rejects an invalid backpressurePolicy or maxBackpressure at createApp, naming the class', () => {
    @Gateway('/bad', { backpressurePolicy: 'ignore' as never })
    class BadPolicyGateway {
      @OnMessage() m(): void {}
    }
    expect(() => createApp({ gateways: [BadPolicyGateway] })).toThrow(GatewayDefinitionError);
    expect(() => createApp({ gateways: [BadPolicyGateway] })).toThrow(/BadPolicyGateway: backpressurePolicy/);
    expect(() => createApp({ gateways: [SubscriberGateway], maxBackpressure: -1 })).toThrow(/maxBackpressure/);
  });
});

describe('Hub across apps in one process', () => {
  it('two apps with their own brokers do not cross, and each gateway gets its own app Hub', async () => {
    const one = await startApp([SubscriberGateway]);
    const two = await startApp([SubscriberGateway]);
    const a = await subscriber(one.url('/topics/room'));
    const b = await subscriber(two.url('/topics/room'));
    expect(hubOf(one.app)).not.toBe(hubOf(two.app));
    expect(one.app.container.resolve(Hub)).toBe(hubOf(one.app));
    a.send('pub:room:from one');
    await eventually(() => received(a).length === 1, 'published');
    await hubOf(two.app).publish('room', 'from two');
    await eventually(() => received(b).length === 1, 'two');
    expect(received(b)).toEqual(['from two']);
  });

  it('apps sharing a MemoryBus see each other’s publishes once each, in order, with except', async () => {
    const bus = new MemoryBus();
    const one = await startApp([SubscriberGateway], { broker: new MemoryBroker({ bus }) });
    const two = await startApp([SubscriberGateway], { broker: new MemoryBroker({ bus }) });
    const sender = await subscriber(one.url('/topics/room'));
    const local = await subscriber(one.url('/topics/room'));
    const remote = await subscriber(two.url('/topics/room'));
    const expected = numbered(1000);
    await Promise.all(expected.map((m) => hubOf(one.app).publish('room', m)));
    sender.send('pub:room:hello');
    await eventually(() => received(remote).length === 1001 && received(local).length === 1001, 'every message');
    expect(received(remote)).toEqual([...expected, 'hello']);
    expect(received(local)).toEqual([...expected, 'hello']);
    expect(received(sender)).toEqual([...expected, 'published']);
  });

  it('publish on a closed app rejects with BrokerError and reaches no app on the shared MemoryBus', async () => {
    const bus = new MemoryBus();
    const one = await startApp([SubscriberGateway], { broker: new MemoryBroker({ bus }) });
    const two = await startApp([SubscriberGateway], { broker: new MemoryBroker({ bus }) });
    const remote = await subscriber(two.url('/topics/room'));
    await one.app.close();
    await expect(hubOf(one.app).publish('room', 'from a closed app')).rejects.toThrow(BrokerError);
    await hubOf(two.app).publish('room', 'from the open app');
    await eventually(() => received(remote).length === 1, 'the open app’s message');
    expect(received(remote)).toEqual(['from the open app']);
  });

  it('app.close() while listen() starts the broker: close resolves and listen() rejects instead of listening afterwards', async () => {
    const app = createApp({ gateways: [SubscriberGateway] });
    const listening = app.listen(0, '127.0.0.1');
    listening.catch(() => undefined);
    let closeSettled = false;
    const closing = app.close().then(() => (closeSettled = true));
    await expect(listening).rejects.toThrow(/listen: the app was closed/);
    await closing;
    expect(closeSettled).toBe(true);
  });

  it('a connection that never subscribed is not delivered to, and conn.topics is empty', async () => {
    @Gateway('/plain')
    class PlainGateway {
      constructor(private readonly conn: Connection) {}
      @OnMessage() m(): string[] {
        return [...this.conn.topics];
      }
    }
    const { app, url } = await startApp([PlainGateway]);
    const ws = await connect(url('/plain'));
    await hubOf(app).publish('anything', 'x');
    ws.send('?');
    await eventually(() => collect(ws).length === 1, 'answer');
    expect(collect(ws)).toEqual(['[]']);
  });
});
