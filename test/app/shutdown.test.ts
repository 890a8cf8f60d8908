/**
 * Graceful shutdown (issue 4): app.close({ code, reason, timeout }) with many connections and
 * writes in flight, 503 while closing, peers that ignore the close frame, idempotence, and
 * servers given to attach() left open.
 */
import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import { connect as tcpConnect, type AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Lifecycle, scoped } from 'tsyringe';
import type WebSocket from 'ws';
import { Connection, createApp, Gateway, OnClose, OnMessage, OnOpen } from '../../src';
import { memoryLogger, startApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { onCleanup } from '../helpers/cleanup';
import { rawRequest, upgradeHeaders } from '../helpers/http';
import { Opcode } from '../helpers/frames';
import { RawPeer } from '../helpers/raw-peer';
import { closed, collect, connect } from '../helpers/ws-client';

const PAYLOAD = Buffer.alloc(512 * 1024, 7);
const SLACK_MS = 2000;

/**
 * A gateway (fresh for each call) that echoes, and can start a large write without awaiting it,
 * with its ContainerScoped Session whose disposal takes a turn of the event loop, as closing a
 * resource would. Observed: the gateways whose @OnOpen ran, and counts of @OnClose runs, disposed
 * sessions and writes that flushed or failed.
 */
function bulkWriterFixture() {
  const opened: BulkWriterGateway[] = [];
  const counts = { closes: 0, disposed: 0, flushed: 0, failed: 0 };

  /** One per connection. */
  @scoped(Lifecycle.ContainerScoped)
  class Session {
    async dispose(): Promise<void> {
      await new Promise((resolve) => setImmediate(resolve));
      counts.disposed++;
    }
  }

  @Gateway('/bulk')
  class BulkWriterGateway {
    constructor(
      readonly conn: Connection,
      readonly session: Session,
    ) {}
    @OnOpen() open(): void {
      opened.push(this);
    }
    @OnMessage() onMessage(m: string): string {
      return m;
    }
    /** Starts a large write without awaiting it. */
    startWrite(): void {
      this.conn.writeMessage(PAYLOAD).then(
        () => counts.flushed++,
        () => counts.failed++,
      );
    }
    @OnClose() onClose(): void {
      counts.closes++;
    }
  }
  return { BulkWriterGateway, opened, counts };
}

/** Resolves with the error code of a TCP connect attempt ('' when it connected). */
async function connectError(port: number): Promise<string> {
  const socket = tcpConnect(port, '127.0.0.1');
  onCleanup(() => socket.destroy());
  try {
    await once(socket, 'connect');
    return '';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? 'unknown';
  }
}

describe('app.close()', () => {
  it('closes 100 connections with writes in flight: each client gets its full message, then 1001 Going Away', async () => {
    const { BulkWriterGateway, opened, counts } = bulkWriterFixture();
    const { app, port, url, logger } = await startApp([BulkWriterGateway]);
    const clients = await Promise.all(Array.from({ length: 100 }, () => connect(url('/bulk'))));
    await eventually(() => opened.length === 100, '100 @OnOpen');
    expect(app.connectionCount).toBe(100);
    // Clients stop reading, so the writes cannot all be flushed and the close handshake cannot finish yet.
    for (const ws of clients) ws.pause();
    const ends = clients.map((ws) => closed(ws));

    for (const g of opened) g.startWrite();
    const started = performance.now();
    const closing = app.close();
    const buffered = opened.filter((g) => g.conn.bufferedAmount > 0).length;
    expect(counts.flushed).toBe(0); // every write is still in flight

    // While closing, new upgrades are refused.
    const refused = await rawRequest(port, '/bulk', upgradeHeaders({ Host: `127.0.0.1:${port}` }));
    expect(refused.status).toBe(503);

    for (const ws of clients) ws.resume();
    const results = await Promise.all(ends);
    await closing;
    const elapsed = performance.now() - started;

    for (const r of results) expect(r).toEqual({ code: 1001, reason: 'Going Away' });
    for (const ws of clients) {
      const messages = collect(ws);
      expect(messages).toHaveLength(1);
      expect(Buffer.isBuffer(messages[0]) && messages[0].equals(PAYLOAD)).toBe(true); // (toEqual on 512 KiB is very slow)
    }
    expect(counts.flushed).toBe(100);
    expect(counts.failed).toBe(0);
    expect(counts.closes).toBe(100);
    expect(counts.disposed).toBe(100); // awaited by close(), not merely started
    expect(app.connectionCount).toBe(0);
    expect(await connectError(port)).toBe('ECONNREFUSED');
    expect(logger.errors).toEqual([]);
    if (process.env.WSGATE_REPORT) console.log(`app.close(): 100 connections, ${buffered} with writes buffered, ${elapsed.toFixed(1)} ms`);
  });

  it('flushes a write still buffered in user space (bufferedAmount > 0) before the close frame', async () => {
    const { BulkWriterGateway, opened } = bulkWriterFixture();
    const { app, url } = await startApp([BulkWriterGateway]);
    const ws = await connect(url('/bulk'));
    await eventually(() => opened.length === 1, '@OnOpen');
    ws.pause();
    const end = closed(ws);
    const huge = Buffer.alloc(32 * 1024 * 1024, 3); // more than the kernel's socket buffers take
    const write = opened[0].conn.writeMessage(huge);
    const closing = app.close();
    const buffered = opened[0].conn.bufferedAmount;
    expect(buffered).toBeGreaterThan(0);
    ws.resume();
    expect(await end).toEqual({ code: 1001, reason: 'Going Away' });
    await expect(write).resolves.toBeUndefined();
    await closing;
    const [message] = collect(ws);
    expect(Buffer.isBuffer(message) && message.equals(huge)).toBe(true);
    if (process.env.WSGATE_REPORT) console.log(`app.close(): ${buffered} bytes still buffered in user space at close, all delivered`);
  });

  it('sends the given code and reason', async () => {
    const { BulkWriterGateway, counts } = bulkWriterFixture();
    const { app, url } = await startApp([BulkWriterGateway]);
    const ws = await connect(url('/bulk'));
    const end = closed(ws);
    await app.close({ code: 1012, reason: 'Service Restart' });
    expect(await end).toEqual({ code: 1012, reason: 'Service Restart' });
    expect(counts.closes).toBe(1);
  });

  it('cuts a peer that ignores the close frame after `timeout`, runs its @OnClose, and resolves', async () => {
    const { BulkWriterGateway, counts } = bulkWriterFixture();
    const { app, port } = await startApp([BulkWriterGateway], { closeTimeout: 60_000 });
    const peer = await RawPeer.open(port, '/bulk'); // never answers the close frame
    const polite = await connect(`ws://127.0.0.1:${port}/bulk`);
    const politeEnd = closed(polite);
    const started = performance.now();
    await app.close({ timeout: 200 });
    const elapsed = performance.now() - started;
    expect((await peer.closeFrame())?.code).toBe(1001);
    await peer.closed();
    expect(await politeEnd).toEqual({ code: 1001, reason: 'Going Away' });
    expect(elapsed).toBeGreaterThanOrEqual(200 - 2);
    expect(elapsed).toBeLessThan(200 + SLACK_MS);
    expect(counts.closes).toBe(2);
    expect(counts.disposed).toBe(2);
    expect(app.connectionCount).toBe(0);
  });

  it("`timeout` defaults to the app's closeTimeout", async () => {
    const { BulkWriterGateway } = bulkWriterFixture();
    const { app, port } = await startApp([BulkWriterGateway], { closeTimeout: 300 });
    const peer = await RawPeer.open(port, '/bulk');
    const started = performance.now();
    await app.close();
    const elapsed = performance.now() - started;
    expect(peer.frames.some((f) => f.opcode === Opcode.close)).toBe(true);
    await peer.closed();
    expect(elapsed).toBeGreaterThanOrEqual(300 - 2);
    expect(elapsed).toBeLessThan(300 + SLACK_MS);
  });

  it('is idempotent: every call returns the same promise', async () => {
    const { BulkWriterGateway, counts } = bulkWriterFixture();
    const { app, url } = await startApp([BulkWriterGateway]);
    const ws = await connect(url('/bulk'));
    const end = closed(ws);
    const first = app.close();
    expect(app.close({ code: 1012 })).toBe(first);
    await first;
    expect(app.close()).toBe(first);
    expect((await end).code).toBe(1001);
    expect(counts.closes).toBe(1);
  });

  it('rejects invalid options with RangeError and stays open and closable', async () => {
    const { BulkWriterGateway } = bulkWriterFixture();
    const { app, url } = await startApp([BulkWriterGateway]);
    const ws = await connect(url('/bulk'));
    await expect(app.close({ code: 1005 })).rejects.toThrow(RangeError);
    await expect(app.close({ reason: 'x'.repeat(124) })).rejects.toThrow(RangeError);
    await expect(app.close({ timeout: -1 })).rejects.toThrow(RangeError);
    ws.send('still open');
    await eventually(() => collect(ws).length === 1, 'the echo');
    expect(app.connectionCount).toBe(1);
    const end = closed(ws);
    await app.close();
    expect((await end).code).toBe(1001);
  });

  it("leaves a server given to attach() open (only listen()'s server is closed) and stops serving upgrades on it", async () => {
    const { BulkWriterGateway } = bulkWriterFixture();
    const logger = memoryLogger();
    const app = createApp({ gateways: [BulkWriterGateway], logger });
    onCleanup(() => app.close());
    const server: Server = createServer((_req, res) => res.end('still serving'));
    onCleanup(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });
    app.attach(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const ws: WebSocket = await connect(`ws://127.0.0.1:${port}/bulk`);
    const end = closed(ws);
    await app.close();
    expect((await end).code).toBe(1001);
    expect(server.listening).toBe(true);
    expect(server.listenerCount('upgrade')).toBe(0);
    const body = await new Promise<string>((resolve, reject) => {
      request({ port, host: '127.0.0.1', path: '/', agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve(text));
      })
        .on('error', reject)
        .end();
    });
    expect(body).toBe('still serving');
  });
});
