/**
 * The client's read side under load: a fast server and an application that does not read (the
 * socket is paused at maxQueuedMessages, close() still works), the onMessage callback style, bad
 * input, and promises left unawaited.
 */
import type WebSocket from 'ws';
import { Connection, Gateway, OnClose, OnMessage, WebSocketClosedError, WebSocketError, websocketConnect, type IncomingMessage } from '../../src';
import { kSocket } from '../../src/constants';
import { startApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { connectClient, readRequestHead, rejectionOf, answer101, startTcpServer } from '../helpers/client';

/**
 * A gateway (fresh for each call) that, sent 'N:SIZE', sends N numbered text messages of about SIZE
 * bytes, each write awaited (flow control); and what it observed: its server-side connections, the
 * messages sent, the bursts cut short by a close, and the close code each @OnClose saw.
 */
function burstFixture() {
  const burst = { sent: 0, failed: 0, conns: [] as Connection[], closes: [] as Array<number | undefined> };
  @Gateway('/burst')
  class SendsNumberedBurstGateway {
    constructor(private readonly conn: Connection) {
      burst.conns.push(conn);
    }
    @OnMessage() start(m: string): void {
      const [n, size] = m.split(':').map(Number);
      void this.run(n, size);
    }
    private async run(n: number, size: number): Promise<void> {
      const pad = 'x'.repeat(size);
      try {
        for (let i = 0; i < n; i++) {
          await this.conn.writeMessage(`${i}:${pad}`);
          burst.sent++;
        }
      } catch {
        burst.failed++; // the client closed while we were still sending
      }
    }
    @OnClose() onClose(): void {
      burst.closes.push(this.conn.closeCode);
    }
  }
  return { SendsNumberedBurstGateway, burst };
}

const indexOf = (m: IncomingMessage | null): number => Number(String(m).split(':')[0]);

describe('read-side flow control', () => {
  const N = 2000;
  const SIZE = 16 * 1024; // 32 MiB in all: more than loopback's socket buffers can hold

  test('a client that does not read pauses its socket at maxQueuedMessages; backpressure reaches the server; nothing is lost', async () => {
    const { SendsNumberedBurstGateway, burst } = burstFixture();
    const server = await startApp([SendsNumberedBurstGateway], { closeTimeout: 30_000 });
    const conn = await connectClient(server.url('/burst'), { maxQueuedMessages: 8 });
    const ws = conn[kSocket] as WebSocket;
    await conn.writeMessage(`${N}:${SIZE}`);
    await eventually(() => ws.isPaused, 'the client socket to pause');
    await eventually(() => burst.conns[0].bufferedAmount > 0, "the server's writes to back up");
    expect(burst.sent).toBeLessThan(N);

    for (let i = 0; i < N; i++) {
      const m = await conn.readMessage();
      if (indexOf(m) !== i) throw new Error(`message ${i} arrived as ${String(m).slice(0, 12)}`);
    }
    expect(ws.isPaused).toBe(false);
    await eventually(() => burst.sent === N, 'the server to finish');
  });

  test('close() while paused resumes reading: the close handshake completes (no timeout) and kept messages stay readable', async () => {
    const { SendsNumberedBurstGateway, burst } = burstFixture();
    const server = await startApp([SendsNumberedBurstGateway], { closeTimeout: 30_000 });
    // closeTimeout 30 s on both ends and a 5 s test timeout: a close stuck behind the paused socket fails the test.
    const conn = await connectClient(server.url('/burst'), { maxQueuedMessages: 8, closeTimeout: 30_000 });
    const ws = conn[kSocket] as WebSocket;
    await conn.writeMessage(`${N}:${SIZE}`);
    await eventually(() => ws.isPaused, 'the client socket to pause');
    await conn.close(4005, 'enough');
    expect(conn.closeCode).toBe(4005); // the server's echo was read, not cut off
    await eventually(() => burst.closes.length === 1, 'the server @OnClose');
    expect(burst.closes).toEqual([4005]);

    const kept: number[] = [];
    for (let m = await conn.readMessage(); m !== null; m = await conn.readMessage()) kept.push(indexOf(m));
    expect(kept.length).toBeGreaterThanOrEqual(8);
    expect(kept).toEqual(kept.map((_, i) => i)); // in order, none skipped before the ones dropped after close()
    expect(await conn.readMessage()).toBeNull();
  }, 5000);

  test('onMessage returning a promise: one message at a time, in order, the socket paused while it waits', async () => {
    const { SendsNumberedBurstGateway } = burstFixture();
    const server = await startApp([SendsNumberedBurstGateway], { closeTimeout: 30_000 });
    let inFlight = 0;
    let maxInFlight = 0;
    const got: Array<number | null> = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const conn = await connectClient(server.url('/burst'), {
      maxQueuedMessages: 4,
      onMessage: async (m) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        got.push(m === null ? null : indexOf(m));
        if (got.length === 1) await gate;
        else await Promise.resolve();
        inFlight--;
      },
    });
    const ws = conn[kSocket] as WebSocket;
    await conn.writeMessage(`300:${SIZE}`);
    await eventually(() => ws.isPaused, 'the client socket to pause');
    expect(got).toEqual([0]);
    release();
    await eventually(() => got.length === 300, 'all 300 messages');
    expect(got).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(maxInFlight).toBe(1);
    await conn.close();
    await eventually(() => got.length === 301, 'the final null');
    expect(got[300]).toBeNull();
  });
});

describe('onMessage errors', () => {
  test('a callback that throws is logged and closes with 1011; it still gets null once', async () => {
    const { SendsNumberedBurstGateway, burst } = burstFixture();
    const server = await startApp([SendsNumberedBurstGateway], { closeTimeout: 30_000 });
    const errors: string[] = [];
    const logger = { error: (message: string, err: unknown) => void errors.push(`${message} ${String(err)}`), warn: () => undefined };
    const got: Array<IncomingMessage | null> = [];
    await connectClient(server.url('/burst'), {
      logger,
      onMessage: (m) => {
        got.push(m);
        if (m !== null) throw new Error('bad callback');
      },
    }).then((conn) => conn.writeMessage('3:1'));
    await eventually(() => burst.closes.length === 1 && got.includes(null), 'the close');
    expect(burst.closes).toEqual([1011]);
    expect(got).toEqual(['0:x', null]); // nothing after the failure but the final null
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/onMessage callback failed: Error: bad callback/);
  });

  test('a callback whose promise rejects with WebSocketError(4003) closes with 4003', async () => {
    const { SendsNumberedBurstGateway, burst } = burstFixture();
    const server = await startApp([SendsNumberedBurstGateway], { closeTimeout: 30_000 });
    const logger = { error: () => undefined, warn: () => undefined };
    const conn = await connectClient(server.url('/burst'), {
      logger,
      onMessage: async (m) => {
        if (m !== null) throw new WebSocketError(4003, 'refused');
      },
    });
    await conn.writeMessage('1:1');
    await eventually(() => burst.closes.length === 1, 'the close');
    expect(burst.closes).toEqual([4003]);
    expect(conn.closeCode).toBe(4003);
  });
});

describe('bad input and unawaited promises', () => {
  test('invalid URLs and options reject (never throw) with a clear error; an open connection is unaffected', async () => {
    const { SendsNumberedBurstGateway } = burstFixture();
    const server = await startApp([SendsNumberedBurstGateway], { closeTimeout: 30_000 });
    const conn = await connectClient(server.url('/burst'));
    const calls: Array<[() => Promise<unknown>, ErrorConstructor, RegExp]> = [
      [() => websocketConnect('not a url'), SyntaxError, /Invalid URL/],
      [() => websocketConnect('ftp://127.0.0.1/'), SyntaxError, /protocol/],
      [() => websocketConnect(42 as unknown as string), TypeError, /first argument/],
      [() => websocketConnect(server.url('/burst'), { connectTimeout: -1 }), RangeError, /connectTimeout must be a positive number, got -1/],
      [() => websocketConnect(server.url('/burst'), { maxQueuedMessages: 1.5 }), RangeError, /maxQueuedMessages must be an integer/],
      [() => websocketConnect(server.url('/burst'), { subprotocols: ['has space'] }), TypeError, /invalid or duplicated subprotocol "has space"/],
      [() => websocketConnect(server.url('/burst'), { subprotocols: ['a', 'a'] }), TypeError, /duplicated/],
      [() => websocketConnect(server.url('/burst'), { onMessage: 'nope' as never }), TypeError, /onMessage must be a function/],
    ];
    for (const [call, type, message] of calls) {
      let promise: Promise<unknown> | undefined;
      expect(() => (promise = call())).not.toThrow();
      const err = await rejectionOf(promise!);
      expect(err).toBeInstanceOf(type);
      expect(err.message).toMatch(message);
    }
    await conn.writeMessage('1:1');
    expect(await conn.readMessage()).toBe('0:x');
  });

  test('http:// URLs are accepted as ws://', async () => {
    const { SendsNumberedBurstGateway } = burstFixture();
    const server = await startApp([SendsNumberedBurstGateway], { closeTimeout: 30_000 });
    const conn = await connectClient(server.url('/burst').replace('ws://', 'http://'));
    expect(conn.url).toBe(server.url('/burst'));
  });

  test('promises left unawaited never become unhandled rejections', async () => {
    const { SendsNumberedBurstGateway } = burstFixture();
    const server = await startApp([SendsNumberedBurstGateway], { closeTimeout: 30_000 });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      // a handshake refused (404), a write that fails when the server vanishes before the flush
      void websocketConnect(server.url('/nowhere'));
      const silent = await startTcpServer((socket) => {
        void readRequestHead(socket).then((headers) => {
          answer101(socket, headers);
          socket.pause(); // never reads: the big write cannot flush
        });
      });
      const conn = await connectClient(`ws://127.0.0.1:${silent.port}/`);
      void conn.writeMessage(Buffer.alloc(32 * 1024 * 1024));
      const failedWrite = conn.writeMessage('after');
      failedWrite.catch(() => undefined);
      silent.sockets[0].destroy();
      expect(await rejectionOf(failedWrite)).toBeInstanceOf(WebSocketClosedError); // closed before the flush
      await rejectionOf(websocketConnect(server.url('/nowhere'))); // settles after the unawaited one
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
