/**
 * What every bench server shares: a control HTTP server on its own loopback port (GET /stats for
 * process.cpuUsage and memory, GET /publish for fan-out, GET /heapsnapshot for heap.js), the `CONTROL <port>` / `LISTENING <port>`
 * lines the runner waits for, and a clean exit on SIGTERM.
 *
 * The control server is separate from the server under test so that every server under test is
 * started exactly the way its users start it (ws's own server, wsgate's app.listen(), NestJS's
 * app.listen()), with nothing of the bench on its request path.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import type { WebSocketServer } from 'ws';

export const HOST = '127.0.0.1';
export const ECHO_PATH = '/echo';

export interface Running {
  port: number;
  close(): Promise<void> | void;
}

/** A raw ws server, once listening, as a Running: closing cuts every client, then closes the server. */
export async function runningWebSocketServer(wss: WebSocketServer): Promise<Running> {
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  return {
    port: (wss.address() as AddressInfo).port,
    close: () => {
      for (const ws of wss.clients) ws.terminate();
      return new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

export interface ServeOptions {
  /** GET /publish on the control port: run one fan-out and answer its timings. */
  publish?: () => Promise<Record<string, number>>;
}

function stats(gc: boolean): Record<string, unknown> {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (gc && collect) {
    collect();
    collect();
  }
  const m = process.memoryUsage();
  return {
    cpu: process.cpuUsage(),
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    // The young generation's resident pages: V8 grows it under a high allocation and survival rate
    // (opening thousands of connections) and does not give the pages back at once, so it is part of RSS.
    newSpace: getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.physical_space_size ?? 0,
    gc: Boolean(gc && collect),
  };
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Starts the server under test, then the control server, then prints the lines the runner waits for. */
export async function serve(name: string, start: () => Promise<Running>, options: ServeOptions = {}): Promise<void> {
  let running: Running | undefined;
  let exiting = false;
  const control = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/stats') return answer(res, 200, stats(url.searchParams.get('gc') === '1'));
    if (url.pathname === '/heapsnapshot') {
      // bench/heap.js: a snapshot (after a full GC) into the directory it names.
      const file = join(url.searchParams.get('dir') ?? tmpdir(), `${url.searchParams.get('name') ?? 'heap'}.heapsnapshot`);
      return answer(res, 200, { file: writeHeapSnapshot(file) });
    }
    if (url.pathname === '/publish' && options.publish) {
      options.publish().then(
        (timings) => answer(res, 200, timings),
        (err: unknown) => answer(res, 500, { error: String(err) }),
      );
      return;
    }
    answer(res, 404, { error: 'not found' });
  });

  const exit = (code: number): void => {
    if (exiting) return;
    exiting = true;
    // A server holding thousands of sockets may take a while to close them all: the bench does
    // not wait for that beyond a short grace period.
    const force = setTimeout(() => process.exit(code), 1500);
    force.unref();
    Promise.resolve()
      .then(() => running?.close())
      .catch(() => undefined)
      .finally(() => {
        control.close();
        control.closeAllConnections();
        process.exit(code);
      });
  };
  process.on('SIGTERM', () => exit(0));
  process.on('SIGINT', () => exit(0));
  // run.js holds the other end of stdin: if it dies without killing us, we go too.
  if (process.env.BENCH_WATCH_STDIN === '1') {
    process.stdin.on('end', () => exit(0));
    process.stdin.on('error', () => exit(0));
    process.stdin.resume();
  }

  try {
    running = await start();
    await new Promise<void>((resolve, reject) => {
      control.once('error', reject);
      control.listen(0, HOST, resolve);
    });
  } catch (err) {
    console.error(`${name}: failed to start:`, err);
    process.exit(1);
  }
  process.stdout.write(`CONTROL ${(control.address() as AddressInfo).port}\nLISTENING ${running.port}\n`);
}

/** The fan-out payload: a 64-byte JSON text. */
const tick = (pad: string): string => JSON.stringify({ event: 'tick', data: { pad } });
export const FANOUT_MESSAGE = tick('x'.repeat(64 - tick('').length));
if (Buffer.byteLength(FANOUT_MESSAGE) !== 64) throw new Error(`fan-out message is ${Buffer.byteLength(FANOUT_MESSAGE)} bytes`);

/** Microseconds since `start` (from process.hrtime.bigint()). */
export function microsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1000;
}
