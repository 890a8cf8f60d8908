import type WebSocket from 'ws';
import { Connection, Gateway, OnMessage, OnOpen, OnPing, WebSocketClosedError } from '../../src';
import { kSocket } from '../../src/constants';
import { netSocketOf } from '../../src/connection/ws-internals';
import { startApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { closed, collect, connect, nextMessage } from '../helpers/ws-client';

/** An echo gateway and the server-side connections it was constructed with (fresh for each call). */
function echoFixture() {
  const conns: Connection[] = [];
  @Gateway('/echo')
  class EchoGateway {
    constructor(private readonly conn: Connection) {
      conns.push(conn);
    }
    @OnMessage() message(m: string | Buffer): Promise<void> {
      return this.conn.writeMessage(m);
    }
  }
  return { EchoGateway, conns };
}

/** A gateway that returns what the client asked for, as a value: exercises the send-the-return-value rule. */
function returnsValueGateway() {
  @Gateway('/value')
  class ReturnsValueGateway {
    @OnMessage() message(m: string): unknown {
      const values: Record<string, unknown> = {
        object: { a: 1, b: [true, null] },
        array: [1, 'two'],
        number: 42,
        boolean: false,
        null: null,
        buffer: Buffer.from([1, 2, 3]),
        uint8: new Uint8Array([4, 5]),
        undefined: undefined,
      };
      return m.startsWith('async:') ? Promise.resolve(values[m.slice(6)]) : values[m];
    }
  }
  return ReturnsValueGateway;
}

function frameNumber(i: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  b.writeUInt32BE(i, 0);
  return b;
}

describe('messages', () => {
  it('echoes text as text and binary as binary', async () => {
    const { EchoGateway } = echoFixture();
    const { url } = await startApp([EchoGateway]);
    const ws = await connect(url('/echo'));
    ws.send('Hello, world');
    expect(await nextMessage(ws)).toEqual({ data: 'Hello, world', isBinary: false });
    ws.send(Buffer.from([0, 1, 255]));
    expect(await nextMessage(ws)).toEqual({ data: Buffer.from([0, 1, 255]), isBinary: true });
  });

  it.each([
    ['object', '{"a":1,"b":[true,null]}'],
    ['array', '[1,"two"]'],
    ['number', '42'],
    ['boolean', 'false'],
    ['null', 'null'],
  ])('sends a returned %s as JSON text (sync and async)', async (kind, json) => {
    const { url } = await startApp([returnsValueGateway()]);
    const ws = await connect(url('/value'));
    ws.send(kind);
    expect(await nextMessage(ws)).toEqual({ data: json, isBinary: false });
    ws.send(`async:${kind}`);
    expect(await nextMessage(ws)).toEqual({ data: json, isBinary: false });
  });

  it('sends a returned Buffer or Uint8Array as binary, and nothing for undefined', async () => {
    const { url } = await startApp([returnsValueGateway()]);
    const ws = await connect(url('/value'));
    const messages = collect(ws);
    ws.send('undefined');
    ws.send('buffer');
    ws.send('uint8');
    await eventually(() => messages.length === 2, 'two replies');
    expect(messages).toEqual([Buffer.from([1, 2, 3]), Buffer.from([4, 5])]);
  });

  it('sends a string as a binary frame with { binary: true }', async () => {
    @Gateway('/binary-string')
    class WritesStringAsBinaryGateway {
      constructor(private readonly conn: Connection) {}
      @OnMessage() message(m: string): Promise<void> {
        return this.conn.writeMessage(m, { binary: true });
      }
    }
    const { url } = await startApp([WritesStringAsBinaryGateway]);
    const ws = await connect(url('/binary-string'));
    ws.send('bytes');
    expect(await nextMessage(ws)).toEqual({ data: Buffer.from('bytes'), isBinary: true });
  });

  it('delivers 500 messages one at a time and in order through handlers with random async delays', async () => {
    const received: string[] = [];
    @Gateway('/random-delay')
    class RandomDelayEchoGateway {
      constructor(private readonly conn: Connection) {}
      @OnMessage() async message(m: string): Promise<void> {
        received.push(m);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
        await this.conn.writeMessage(m);
      }
    }
    const { url } = await startApp([RandomDelayEchoGateway]);
    const ws = await connect(url('/random-delay'));
    const replies = collect(ws);
    const sent = Array.from({ length: 500 }, (_, i) => `m${i}`);
    for (const m of sent) ws.send(m);
    await eventually(() => replies.length === 500, '500 replies', 15000);
    expect(received).toEqual(sent);
    expect(replies).toEqual(sent);
  });

  it('holds messages sent during an async @OnOpen until it has settled', async () => {
    @Gateway('/slow-open')
    class SlowOpenGateway {
      private opened = false;
      @OnOpen() async open(): Promise<void> {
        await new Promise((resolve) => setTimeout(resolve, 200));
        this.opened = true;
      }
      @OnMessage() message(m: string): string {
        return `${m}:${this.opened ? 'after open' : 'before open'}`;
      }
    }
    const { url } = await startApp([SlowOpenGateway]);
    const ws = await connect(url('/slow-open'));
    const replies = collect(ws);
    ws.send('one');
    ws.send('two');
    await eventually(() => replies.length === 2, 'two replies');
    expect(replies).toEqual(['one:after open', 'two:after open']);
  });
});

describe('flow control', () => {
  it('resolves writeMessage once the frame is flushed', async () => {
    const { EchoGateway, conns } = echoFixture();
    const { url } = await startApp([EchoGateway]);
    const ws = await connect(url('/echo'));
    ws.send('x');
    await nextMessage(ws);
    const conn = conns[0];
    const big = Buffer.alloc(4 * 1024 * 1024, 1);
    const written = conn.writeMessage(big);
    expect(conn.bufferedAmount).toBeGreaterThan(0);
    await written;
    expect(conn.bufferedAmount).toBe(0);
  });

  it('pauses the socket when maxQueuedMessages wait for a busy handler, then delivers all of them in order', async () => {
    const received: number[] = [];
    const conns: Connection[] = [];
    let release: () => void = () => undefined;
    /** Records each message's number; the first one holds the handler until `release()`. */
    @Gateway('/blocked')
    class FirstMessageBlocksGateway {
      constructor(conn: Connection) {
        conns.push(conn);
      }
      @OnMessage() async message(m: Buffer): Promise<void> {
        received.push(m.readUInt32BE(0));
        if (received.length === 1) await new Promise<void>((resolve) => (release = resolve));
      }
    }
    const { url } = await startApp([FirstMessageBlocksGateway], { maxQueuedMessages: 4 });
    const ws = await connect(url('/blocked'));
    const count = 2000;
    const size = 16 * 1024; // 32 MiB in all: far more than socket buffers hold
    for (let i = 0; i < count; i++) ws.send(frameNumber(i, size));
    await eventually(() => conns[0][kSocket]?.isPaused === true, 'the server socket to pause');
    await eventually(() => received.length === 1, 'the first message');
    // The server stopped reading: most of the 32 MiB is still in the client's own buffer.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ws.bufferedAmount).toBeGreaterThan(8 * 1024 * 1024);
    expect(received).toEqual([0]);
    release();
    await eventually(() => received.length === count, `${count} messages`, 15000);
    expect(received).toEqual(Array.from({ length: count }, (_, i) => i));
  });

  it('writes the first frame of a tick at once and the rest of the tick\'s frames in one system call, in order', async () => {
    const conns: Connection[] = [];
    /** Answers one message with ten frames written in the same tick. */
    @Gateway('/burst')
    class TenFramesPerMessageGateway {
      constructor(private readonly conn: Connection) {
        conns.push(conn);
      }
      @OnMessage() async message(m: string): Promise<void> {
        await Promise.all(Array.from({ length: 10 }, (_, i) => this.conn.writeMessage(`${m}-${i}`)));
      }
    }
    const { url } = await startApp([TenFramesPerMessageGateway]);
    const ws = await connect(url('/burst'));
    const received = collect(ws);
    ws.send('warm-up');
    await eventually(() => received.length === 10, 'the warm-up burst');
    const socket = netSocketOf(conns[0][kSocket]!)!;
    const writes: number[] = []; // chunks per call into libuv
    const writev = socket._writev!.bind(socket);
    const write = socket._write.bind(socket);
    socket._writev = (chunks, cb) => (writes.push(chunks.length), writev(chunks, cb));
    socket._write = (chunk, encoding, cb) => (writes.push(1), write(chunk, encoding, cb));
    ws.send('b');
    await eventually(() => received.length === 20, 'the burst');
    expect(received.slice(10).map(String)).toEqual(Array.from({ length: 10 }, (_, i) => `b-${i}`));
    // Each frame is a header and a payload chunk: the first frame leaves at once, the nine others in one writev.
    expect(writes).toEqual([2, 18]);
  });

  it('holds synchronous handlers once their replies back up, so a peer that does not read cannot fill the server\'s memory', async () => {
    const conns: Connection[] = [];
    let bigReplies = 0;
    /** Answers every message with a 64 KiB Buffer returned synchronously, numbered like the request. */
    @Gateway('/big-reply')
    class BigSyncReplyGateway {
      constructor(conn: Connection) {
        conns.push(conn);
      }
      @OnMessage() message(m: Buffer): Buffer {
        bigReplies++;
        return frameNumber(m.readUInt32BE(0), 64 * 1024);
      }
    }
    const { url } = await startApp([BigSyncReplyGateway], { maxQueuedMessages: 8 });
    const ws = await connect(url('/big-reply'));
    const replies: number[] = [];
    ws.on('message', (data: Buffer) => replies.push(data.readUInt32BE(0)));
    ws.pause(); // the client reads nothing: replies pile up in the kernel, then in the server
    const count = 2000; // 125 MiB of replies if nothing held the handler
    for (let i = 0; i < count; i++) ws.send(frameNumber(i, 8));
    await eventually(() => conns[0][kSocket]?.isPaused === true, 'the server socket to pause');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const server = conns[0];
    expect(bigReplies).toBeLessThan(count / 2);
    expect(server.bufferedAmount).toBeLessThan(2 * 1024 * 1024);
    ws.resume();
    await eventually(() => replies.length === count, `${count} replies`, 15000);
    expect(replies).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(bigReplies).toBe(count);
  });

  it('still answers and reports pings while a handler is busy', async () => {
    const received: string[] = [];
    const pings: string[] = [];
    let release: () => void = () => undefined;
    @Gateway('/blocked-with-ping')
    class BusyHandlerRecordsPingsGateway {
      @OnMessage() async message(): Promise<void> {
        received.push('message');
        await new Promise<void>((resolve) => (release = resolve));
      }
      @OnPing() ping(data: Buffer): void {
        pings.push(data.toString());
      }
    }
    const { url } = await startApp([BusyHandlerRecordsPingsGateway]);
    const ws = await connect(url('/blocked-with-ping'));
    ws.send('occupy the handler');
    await eventually(() => received.length === 1, 'the handler to start');
    const pong = new Promise<Buffer>((resolve) => ws.once('pong', resolve));
    ws.ping('are you there');
    expect((await pong).toString()).toBe('are you there');
    expect(pings).toEqual(['are you there']);
    release();
  });

  it('resumes reading once close() is called, so a handler awaiting conn.close() on a paused socket does not deadlock', async () => {
    const received: string[] = [];
    const conns: Connection[] = [];
    let closeResolved = false;
    /** The first message's handler awaits conn.close(4000, 'done'). */
    @Gateway('/close-in-handler')
    class ClosesInHandlerGateway {
      constructor(private readonly conn: Connection) {
        conns.push(conn);
      }
      @OnMessage() async message(): Promise<void> {
        received.push('message');
        if (received.length === 1) {
          await this.conn.close(4000, 'done');
          closeResolved = true;
        }
      }
    }
    const { url } = await startApp([ClosesInHandlerGateway], { maxQueuedMessages: 2, closeTimeout: 60_000 });
    const ws = await connect(url('/close-in-handler'));
    const end = closed(ws);
    for (let i = 0; i < 200; i++) ws.send(frameNumber(i, 1024));
    expect(await end).toEqual({ code: 4000, reason: 'done' });
    await eventually(() => closeResolved, 'close() to resolve inside the handler');
    expect(conns[0].isOpen).toBe(false);
  });
});

describe('writing to closed connections', () => {
  it('throws WebSocketClosedError synchronously once closed', async () => {
    const { EchoGateway, conns } = echoFixture();
    const { url } = await startApp([EchoGateway]);
    const ws = await connect(url('/echo'));
    ws.send('x');
    await nextMessage(ws);
    const conn = conns[0];
    const done = conn.close();
    expect(() => conn.writeMessage('late')).toThrow(WebSocketClosedError);
    expect(() => conn.ping()).toThrow(WebSocketClosedError);
    await done;
    expect(() => conn.writeMessage('later')).toThrow(WebSocketClosedError);
    expect(conn.isOpen).toBe(false);
  });

  it('rejects an awaited write when the peer vanishes before the flush, and never crashes on unawaited ones', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { EchoGateway, conns } = echoFixture();
      const { url } = await startApp([EchoGateway]);
      const ws: WebSocket = await connect(url('/echo'));
      ws.send('x');
      await nextMessage(ws);
      const conn = conns[0];
      ws.pause(); // stop reading so the server's writes pile up
      const big = Buffer.alloc(8 * 1024 * 1024);
      for (let i = 0; i < 10; i++) void conn.writeMessage(big); // fire and forget
      const awaited = conn.writeMessage(big); // 88 MiB in all: this one cannot have reached the kernel
      ws.terminate();
      await expect(awaited).rejects.toBeInstanceOf(WebSocketClosedError);
      await conn.close();
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('rejects ping payloads over 125 bytes', async () => {
    const { EchoGateway, conns } = echoFixture();
    const { url } = await startApp([EchoGateway]);
    const ws = await connect(url('/echo'));
    ws.send('x');
    await nextMessage(ws);
    expect(() => conns[0].ping(Buffer.alloc(126))).toThrow(RangeError);
    const pong = new Promise<Buffer>((resolve) => ws.once('ping', resolve));
    conns[0].ping('hello');
    expect((await pong).toString()).toBe('hello');
  });
});
