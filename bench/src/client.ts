/**
 * The load client: one process, started by run.js for one (benchmark, server) pair, pinned to its
 * own CPU. Argument: a JSON object (see `Options`). Prints one line `RESULT <json>` and exits.
 * Every run is bounded in count and in time (`deadlineMs`), and talks to 127.0.0.1 only.
 *
 * Modes:
 *   throughput  `conns` connections × `inflight` 64-byte JSON messages in flight, warm-up then a
 *               measured window: msg/s, RTT p50/p99, server CPU µs per message.
 *   latency     one connection, one message at a time: RTT p50/p99, server CPU µs per message.
 *   handshakes  `count` open+close with `concurrency` at a time: conn/s, server CPU µs per connection.
 *               With `bearer`, each request carries `Authorization: Bearer <token>` (common/hmac.ts).
 *   handshake-ab  handshakes (with `bearer`) to each of `paths` of one server in turn, `rounds` rounds
 *               of `count` each (the order rotated every round), the server's CPU read around every
 *               batch: server CPU µs per connection per path, and each path's ratio to the first.
 *   memory      `count` idle connections: server RSS and heap per connection, the server idle for 6 s
 *               then a forced GC, before and with them (and RSS 1 s after the last one opened).
 *   binary      one connection, `inflight` messages of `size` bytes: MiB/s echoed.
 *   fanout      `count` subscribers, `rounds` publishes triggered on the control port:
 *               server loop and flush time per publish, and time until every subscriber got it.
 *   heap        heap snapshots of the server before and with `count` idle connections (heap.js).
 *   rtt         request/reply round trips (`add` requests, see common/rtt.ts): `conns` connections ×
 *               `inflight` requests in flight, in the wire format of `flavour` (wsgate contract / raw
 *               ws by hand: `{"type","id","data"}` → `{"id","data"}`; nest: `{"event","data"}` both
 *               ways, in order; socketio: `emitWithAck`): round trips/s, RTT p50/p99, server CPU µs
 *               per request. Every reply is parsed and checked (id, order and sum).
 */
import { get } from 'node:http';
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { FANOUT_MESSAGE } from './common/harness';
import { signToken } from './common/hmac';
import { rttLoad, type RttFlavour } from './rtt-load';

interface Options {
  mode: 'throughput' | 'latency' | 'handshakes' | 'handshake-ab' | 'memory' | 'binary' | 'fanout' | 'heap' | 'rtt';
  /** handshake-ab: the paths compared, the first one the baseline, with the names their results take. */
  paths?: Array<{ path: string; name: string }>;
  flavour?: RttFlavour;
  /** handshakes: send `Authorization: Bearer <token>` (an HMAC token, common/hmac.ts) with each request. */
  bearer?: boolean;
  dir?: string;
  name?: string;
  port: number;
  control: number;
  path: string;
  warmupMs?: number;
  measureMs?: number;
  conns?: number;
  inflight?: number;
  count?: number;
  concurrency?: number;
  size?: number;
  rounds?: number;
  warmupRounds?: number;
  deadlineMs?: number;
}

interface ServerStats {
  cpu: { user: number; system: number };
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  newSpace: number;
  gc: boolean;
}

const HOST = '127.0.0.1';
const opts = JSON.parse(process.argv[2] ?? '{}') as Options;
const url = `ws://${HOST}:${opts.port}${opts.path}`;

/** A 64-byte JSON message in the shape NestJS's WsAdapter routes ({"event":"echo","data":…}). */
function echoPayload(): string {
  const make = (pad: string): string => JSON.stringify({ event: 'echo', data: { seq: 1, pad } });
  const text = make('x'.repeat(64 - Buffer.byteLength(make(''))));
  if (Buffer.byteLength(text) !== 64) throw new Error('payload is not 64 bytes');
  return text;
}

/**
 * Every client socket: no compression offer, no UTF-8 validation of the echoes, and an all-zero
 * masking key, which ws recognises and skips the XOR for (the frames stay valid masked frames; the
 * servers still unmask them). This keeps the client cheaper than the servers it loads, so
 * throughput measures the server. The payload is sent as a Buffer so ws does not re-encode it.
 */
const CLIENT_OPTIONS = {
  perMessageDeflate: false,
  skipUTF8Validation: true,
  generateMask: (mask: Buffer): void => {
    mask[0] = mask[1] = mask[2] = mask[3] = 0;
  },
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function getJson<T>(path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = get({ host: HOST, port: opts.control, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`GET ${path}: ${res.statusCode} ${body}`));
        try {
          resolve(JSON.parse(body) as T);
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`GET ${path}: timed out`)));
  });
}

const serverStats = (gc = false): Promise<ServerStats> => getJson<ServerStats>(`/stats${gc ? '?gc=1' : ''}`);
const cpuMicros = (a: ServerStats, b: ServerStats): number => b.cpu.user + b.cpu.system - (a.cpu.user + a.cpu.system);

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

function summarize(samples: Float64Array, n: number): { p50: number; p99: number; samples: number } {
  const s = samples.slice(0, n).sort();
  return { p50: percentile(s, 50), p99: percentile(s, 99), samples: n };
}

function open(): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, CLIENT_OPTIONS);
    const fail = (err: Error): void => reject(err);
    ws.once('error', fail);
    ws.once('open', () => {
      ws.off('error', fail);
      ws.on('error', () => undefined); // a late error shows as 'close'
      resolve(ws);
    });
  });
}

/** Runs `task` `total` times, `concurrency` at a time. */
async function pool(total: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
}

async function openMany(total: number, concurrency: number): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  await pool(total, concurrency, async () => {
    sockets.push(await open());
  });
  return sockets;
}

function closed(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => ws.once('close', () => resolve()));
}

/** Closes gracefully (close handshake), then cuts off whatever has not closed within `ms`. */
async function closeAll(sockets: WebSocket[], ms = 5000): Promise<void> {
  for (const ws of sockets) if (ws.readyState === WebSocket.OPEN) ws.close(1000);
  const all = Promise.all(sockets.map(closed));
  const timer = sleep(ms);
  await Promise.race([all, timer]);
  for (const ws of sockets) if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
}

/** Closed-loop echo load over `sockets`, each keeping `inflight` messages outstanding. */
async function echoLoad(sockets: WebSocket[], inflight: number, payload: string | Buffer, warmupMs: number, measureMs: number) {
  const expected = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const binary = typeof payload !== 'string';
  const frame = expected;
  const cap = 4_000_000;
  const rtts = new Float64Array(cap);
  let n = 0;
  let received = 0;
  let receivedBytes = 0;
  let measuring = false;
  let stopped = false;
  let outstanding = 0;
  let failure: Error | undefined;
  let drained: (() => void) | undefined;

  for (const ws of sockets) {
    const sent = new Float64Array(inflight);
    let head = 0;
    let tail = 0;
    let verified = false;
    // The replies to one TCP read arrive in one tick: their follow-up messages leave in one write
    // (cork until the next tick) rather than one syscall each, so the client stays cheap.
    const socket = (ws as unknown as { _socket: import('node:net').Socket })._socket;
    let corked = false;
    const uncork = (): void => {
      corked = false;
      socket.uncork();
    };
    const send = (): void => {
      if (!corked) {
        corked = true;
        socket.cork();
        process.nextTick(uncork);
      }
      sent[tail++ % inflight] = performance.now();
      outstanding++;
      ws.send(frame, { binary });
    };
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const now = performance.now();
      outstanding--;
      if (!verified) {
        verified = true;
        if (isBinary !== binary || !expected.equals(data)) {
          failure ??= new Error(`echo mismatch: sent ${expected.length} bytes, got ${data.length} (${isBinary ? 'binary' : JSON.stringify(data.toString().slice(0, 80))})`);
        }
      }
      const rtt = now - sent[head++ % inflight];
      if (measuring) {
        received++;
        receivedBytes += data.length;
        if (n < cap) rtts[n++] = rtt;
      }
      if (!stopped) send();
      else if (outstanding === 0) drained?.();
    });
    for (let i = 0; i < inflight; i++) send();
  }

  await sleep(warmupMs);
  if (failure) throw failure;
  const s0 = await serverStats();
  const t0 = performance.now();
  measuring = true;
  await sleep(measureMs);
  measuring = false;
  const t1 = performance.now();
  const s1 = await serverStats();
  stopped = true;
  if (outstanding > 0) await Promise.race([new Promise<void>((resolve) => (drained = resolve)), sleep(3000)]);
  if (failure) throw failure;
  const seconds = (t1 - t0) / 1000;
  return {
    messages: received,
    seconds,
    msgPerSec: received / seconds,
    mibPerSec: receivedBytes / 1048576 / seconds,
    rtt: summarize(rtts, n),
    serverCpuUsPerMsg: cpuMicros(s0, s1) / received,
    serverCpuShare: cpuMicros(s0, s1) / 1e6 / seconds,
  };
}

async function throughput() {
  const sockets = await openMany(opts.conns ?? 50, 50);
  const r = await echoLoad(sockets, opts.inflight ?? 16, echoPayload(), opts.warmupMs ?? 2000, opts.measureMs ?? 8000);
  await closeAll(sockets);
  return { msgPerSec: r.msgPerSec, rttP50Ms: r.rtt.p50, rttP99Ms: r.rtt.p99, cpuUsPerMsg: r.serverCpuUsPerMsg, serverCpuShare: r.serverCpuShare, messages: r.messages, seconds: r.seconds };
}

async function latency() {
  const sockets = [await open()];
  const r = await echoLoad(sockets, 1, echoPayload(), opts.warmupMs ?? 1000, opts.measureMs ?? 3000);
  await closeAll(sockets);
  return { p50Us: r.rtt.p50 * 1000, p99Us: r.rtt.p99 * 1000, cpuUsPerMsg: r.serverCpuUsPerMsg, messages: r.messages };
}

async function binary() {
  const size = opts.size ?? 1048576;
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i++) payload[i] = (i * 2654435761) >>> 24;
  const sockets = await openMany(opts.conns ?? 1, 50);
  const r = await echoLoad(sockets, opts.inflight ?? 4, payload, opts.warmupMs ?? 1000, opts.measureMs ?? 4000);
  await closeAll(sockets);
  return { mibPerSec: r.mibPerSec, cpuUsPerMiB: (r.serverCpuUsPerMsg * 1048576) / size, messages: r.messages };
}

/** The handshakes' client options: with `bearer`, one signed token sent by every request. */
const HANDSHAKE_OPTIONS = opts.bearer
  ? { ...CLIENT_OPTIONS, headers: { Authorization: `Bearer ${signToken({ sub: 'user-1', exp: Math.floor(Date.now() / 1000) + 3600 })}` } }
  : CLIENT_OPTIONS;

function openClose(): Promise<void> {
  return openCloseAt(url);
}

function openCloseAt(target: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(target, HANDSHAKE_OPTIONS);
    ws.once('open', () => ws.close(1000));
    ws.once('error', reject);
    ws.once('close', () => resolve());
  });
}

async function handshakes() {
  const count = opts.count ?? 2000;
  const concurrency = opts.concurrency ?? 50;
  await pool(Math.min(200, count), concurrency, openClose);
  await sleep(100);
  const s0 = await serverStats();
  const t0 = performance.now();
  await pool(count, concurrency, openClose);
  const t1 = performance.now();
  await sleep(100); // the server finishes its side of the last closes (e.g. disposal)
  const s1 = await serverStats();
  return { connPerSec: count / ((t1 - t0) / 1000), cpuUsPerConn: cpuMicros(s0, s1) / count, count };
}

/**
 * The same server, several gateways, compared in one process and one time window: short batches to
 * each path in turn (the order rotated every round, so each path takes each place equally often),
 * so a machine that gets busier or quieter weighs on every path alike. A path's ratio is its CPU per
 * connection over all rounds ÷ the first path's.
 */
async function handshakeAb() {
  const paths = opts.paths ?? [];
  const count = opts.count ?? 200;
  const rounds = opts.rounds ?? 20;
  const concurrency = opts.concurrency ?? 50;
  const urlOf = (path: string): string => `ws://${HOST}:${opts.port}${path}`;
  for (const { path } of paths) await pool(200, concurrency, () => openCloseAt(urlOf(path)));
  const total = new Map<string, number>(paths.map((p) => [p.name, 0]));
  for (let round = 0; round < rounds; round++) {
    for (const { path, name } of paths.map((_, i) => paths[(i + round) % paths.length])) {
      await sleep(20); // the server finishes its side of the previous batch's closes
      const s0 = await serverStats();
      await pool(count, concurrency, () => openCloseAt(urlOf(path)));
      await sleep(20);
      const s1 = await serverStats();
      total.set(name, total.get(name)! + cpuMicros(s0, s1));
    }
  }
  const result: Record<string, number> = { count: count * rounds };
  for (const { name } of paths) {
    result[`${name}Us`] = total.get(name)! / (count * rounds);
    if (name !== paths[0].name) result[`${name}Ratio`] = total.get(name)! / total.get(paths[0].name)!;
  }
  return result;
}

/**
 * How long the memory benchmark leaves the server idle before a settled reading. V8 sizes its young
 * generation by the recent allocation rate (over its last 5 s): a burst of handshakes grows it to
 * several MB, and the pages stay resident until a GC finds the rate low, which a GC after more than
 * 5 s of idleness does. Both servers are read this way, before and with the connections.
 */
const SETTLE_MS = 6000;

/** Server stats once it has been idle for SETTLE_MS: a forced GC, a short pause (pages are released in the background), another. */
async function settledStats(): Promise<ServerStats> {
  await sleep(SETTLE_MS);
  await serverStats(true);
  await sleep(500);
  return serverStats(true);
}

async function memory() {
  const count = opts.count ?? 10000;
  await pool(100, 50, openClose);
  const before = await settledStats();
  if (!before.gc) throw new Error('the server was not started with --expose-gc');
  const sockets = await openMany(count, opts.concurrency ?? 100);
  // The earlier reading: 1 s after the last connection opened, young generation still grown by the burst.
  await sleep(1000);
  const burst = await serverStats(true);
  const after = await settledStats();
  const alive = sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length;
  if (alive !== count) throw new Error(`only ${alive} of ${count} idle connections stayed open`);
  await closeAll(sockets, 10_000);
  const perConn = (a: ServerStats, key: 'rss' | 'heapUsed' | 'heapTotal' | 'external' | 'newSpace'): number => (a[key] - before[key]) / count;
  return {
    rssPerConn: perConn(after, 'rss'),
    heapPerConn: perConn(after, 'heapUsed'),
    externalPerConn: perConn(after, 'external'),
    heapTotalPerConn: perConn(after, 'heapTotal'),
    newSpacePerConn: perConn(after, 'newSpace'),
    rssBurstPerConn: perConn(burst, 'rss'),
    heapBurstPerConn: perConn(burst, 'heapUsed'),
    newSpaceBurstPerConn: perConn(burst, 'newSpace'),
    rssBefore: before.rss,
    rssBurst: burst.rss,
    rssAfter: after.rss,
    heapBefore: before.heapUsed,
    heapAfter: after.heapUsed,
    count,
  };
}

async function fanout() {
  const count = opts.count ?? 5000;
  const sockets = await openMany(count, opts.concurrency ?? 100);
  let received = 0;
  let target = Infinity;
  let roundDone: (() => void) | undefined;
  const expected = FANOUT_MESSAGE;
  let failure: Error | undefined;
  for (const ws of sockets) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (received === 0 && (isBinary || data.toString() !== expected)) failure ??= new Error(`fan-out: unexpected message ${data.toString().slice(0, 80)}`);
      if (++received >= target) roundDone?.();
    });
  }
  await sleep(200); // every @OnOpen / 'connection' handler has run
  const loop: number[] = [];
  const flush: number[] = [];
  const delivered: number[] = [];
  const rounds = opts.rounds ?? 20;
  const warmup = opts.warmupRounds ?? 3;
  for (let i = 0; i < warmup + rounds; i++) {
    received = 0;
    target = Infinity;
    const all = new Promise<void>((resolve) => (roundDone = resolve));
    const t0 = performance.now();
    const timings = await getJson<{ recipients: number; loopUs: number; flushUs: number }>('/publish');
    if (timings.recipients !== count) throw new Error(`fan-out: the server published to ${timings.recipients} of ${count} connections`);
    target = timings.recipients;
    if (received >= target) roundDone?.();
    const timeout = sleep(10_000).then(() => {
      throw new Error(`fan-out: only ${received} of ${target} subscribers got the message within 10 s`);
    });
    await Promise.race([all, timeout]);
    if (failure) throw failure;
    if (i >= warmup) {
      loop.push(timings.loopUs);
      flush.push(timings.flushUs);
      delivered.push((performance.now() - t0) * 1000);
    }
    await sleep(20);
  }
  await closeAll(sockets, 10_000);
  const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  return { loopUs: median(loop), flushUs: median(flush), deliveredUs: median(delivered), subscribers: count, rounds };
}

async function heap() {
  const count = opts.count ?? 2000;
  const dir = encodeURIComponent(opts.dir ?? '/tmp');
  await pool(100, 50, openClose);
  await sleep(300);
  const before = await getJson<{ file: string }>(`/heapsnapshot?dir=${dir}&name=${opts.name ?? "heap"}-before`);
  const sockets = await openMany(count, opts.concurrency ?? 100);
  await sleep(1000);
  const after = await getJson<{ file: string }>(`/heapsnapshot?dir=${dir}&name=${opts.name ?? "heap"}-after`);
  await closeAll(sockets, 10_000);
  return { before: before.file, after: after.file, count };
}

async function rtt() {
  const r = await rttLoad({
    flavour: opts.flavour ?? 'wsgate',
    host: HOST,
    port: opts.port,
    path: opts.path,
    conns: opts.conns ?? 4,
    inflight: opts.inflight ?? 64,
    warmupMs: opts.warmupMs ?? 1500,
    measureMs: opts.measureMs ?? 4000,
    stats: () => serverStats(),
  });
  return r;
}

const modes = { throughput, latency, handshakes, 'handshake-ab': handshakeAb, memory, binary, fanout, heap, rtt };

async function main(): Promise<void> {
  const run = modes[opts.mode];
  if (!run || !opts.port || !opts.control) throw new Error(`usage: client.js '{"mode":"throughput|…","port":N,"control":N,"path":"/echo"}'`);
  const deadline = setTimeout(() => {
    console.error(`client: ${opts.mode} did not finish within ${opts.deadlineMs} ms`);
    process.exit(3);
  }, opts.deadlineMs ?? 120_000);
  deadline.unref();
  const result: Record<string, unknown> = await run();
  const own = process.cpuUsage();
  result.clientCpuS = (own.user + own.system) / 1e6;
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error('client:', err instanceof Error ? err.stack : err);
  process.exit(1);
});
