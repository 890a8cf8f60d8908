/**
 * Churn: connect / message / disconnect N times (clean closes from either side, TCP resets, FINs
 * without a close frame), then check that nothing of those connections is left: connectionCount 0,
 * every per-connection container disposed, the gateway instances garbage-collected, and the heap
 * back near where it started. Needs `--expose-gc`; prints one JSON line with the figures.
 *
 *   node --expose-gc -r ./test/scripts/register-ts.js test/scripts/churn.ts [cycles=20000] [parallel=32]
 */
import 'reflect-metadata';
import { Lifecycle, scoped } from 'tsyringe';
import WebSocket from 'ws';
import { Connection, createApp, Gateway, OnClose, OnMessage, type Logger } from '../../src';
import { netSocketOf } from '../../src/connection/ws-internals';
import { eventually } from '../helpers/eventually';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

/**
 * The churned gateway (an echo that closes with 4000 on 'close please', with a per-connection
 * service injected) and what it observed: instances constructed and injected, @OnClose runs,
 * services disposed, and gateway instances garbage-collected.
 */
function churnFixture() {
  const observed = { constructed: 0, injected: 0, closed: 0, disposed: 0, collected: 0 };
  const finalized = new FinalizationRegistry<void>(() => void observed.collected++);

  @scoped(Lifecycle.ContainerScoped)
  class PerConnectionService {
    readonly scratch = Buffer.alloc(1024); // something worth leaking, if it leaked
    constructor() {
      observed.constructed++;
    }
    dispose(): void {
      observed.disposed++;
    }
  }

  @Gateway('/churn')
  class EchoWithInjectedServiceGateway {
    constructor(
      private readonly conn: Connection,
      service: PerConnectionService,
    ) {
      if (conn instanceof Connection && service instanceof PerConnectionService) observed.injected++;
      finalized.register(this, undefined);
    }
    @OnMessage() message(m: string): Promise<void> | void {
      if (m === 'close please') return void this.conn.close(4000, 'as asked');
      return this.conn.writeMessage(m);
    }
    @OnClose() onClose(): void {
      observed.closed++;
    }
  }
  return { EchoWithInjectedServiceGateway, observed };
}

const errors: string[] = [];
const logger: Logger = { error: (m: string) => void errors.push(m), warn: (m: string) => void errors.push(m) };

type Kind = 'clientClose' | 'serverClose' | 'reset' | 'resetMidMessage' | 'fin';
const KINDS: Kind[] = ['clientClose', 'serverClose', 'reset', 'resetMidMessage', 'fin'];

function once<T>(ws: WebSocket, event: string): Promise<T> {
  return new Promise((resolve, reject) => {
    ws.once(event, (...args: unknown[]) => resolve(args as T));
    if (event !== 'error') ws.once('error', reject);
  });
}

async function cycle(url: string, kind: Kind, i: number): Promise<void> {
  const ws = new WebSocket(url);
  ws.on('error', () => undefined); // resets surface here; the outcome is checked on the server
  await once(ws, 'open');
  const socket = netSocketOf(ws)!;
  const text = `message ${i}`;
  if (kind === 'resetMidMessage') {
    ws.send(text);
    socket.resetAndDestroy(); // the server's echo races a dead peer
    return;
  }
  if (kind === 'serverClose') {
    const end = once<[number]>(ws, 'close');
    ws.send('close please');
    const [code] = await end;
    if (code !== 4000) throw new Error(`cycle ${i}: server closed with ${code}`);
    return;
  }
  ws.send(text);
  const [data] = await once<[Buffer]>(ws, 'message');
  if (data.toString() !== text) throw new Error(`cycle ${i}: echo ${data.toString()}`);
  if (kind === 'clientClose') {
    const end = once(ws, 'close');
    ws.close(1000);
    await end;
  } else if (kind === 'reset') socket.resetAndDestroy();
  else socket.destroy(); // FIN, no close frame
}

async function churn(url: string, cycles: number, parallel: number, counts: Record<Kind, number>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < cycles) {
        const i = next++;
        const kind = KINDS[i % KINDS.length];
        counts[kind]++;
        await cycle(url, kind, i);
      }
    }),
  );
}

async function settle(): Promise<void> {
  // Several full collections with turns of the event loop between them, so that finalizers and
  // disposals queued by one collection have run before the next.
  for (let i = 0; i < 6; i++) {
    gc!();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function main(): Promise<void> {
  const cycles = Number(process.argv[2] ?? 20_000);
  const parallel = Number(process.argv[3] ?? 32);
  const warmup = 1_000;
  const { EchoWithInjectedServiceGateway, observed } = churnFixture();
  const app = createApp({ gateways: [EchoWithInjectedServiceGateway], logger });
  const { port } = await app.listen(0, '127.0.0.1');
  const url = `ws://127.0.0.1:${port}/churn`;
  const counts = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;

  // Warm up first (JIT, ws's and Node's lazily built pools), so the baseline is not flattered.
  await churn(url, warmup, parallel, Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>);
  await eventually(() => app.connectionCount === 0 && observed.disposed === warmup, 'the warm-up connections to end', 30_000);
  await settle();
  const before = process.memoryUsage();

  const started = Date.now();
  await churn(url, cycles, parallel, counts);
  const churnMs = Date.now() - started;
  await eventually(() => app.connectionCount === 0 && observed.closed === warmup + cycles && observed.disposed === warmup + cycles, 'every connection to end', 30_000);
  await settle();
  const after = process.memoryUsage();

  const total = warmup + cycles;
  const mib = (n: number): number => Math.round((n / 2 ** 20) * 100) / 100;
  const result = {
    cycles,
    parallel,
    warmup,
    counts,
    churnMs,
    connectionCount: app.connectionCount,
    constructed: observed.constructed,
    injected: observed.injected,
    closed: observed.closed,
    disposed: observed.disposed,
    collected: observed.collected,
    total,
    heapUsedBeforeMiB: mib(before.heapUsed),
    heapUsedAfterMiB: mib(after.heapUsed),
    heapDeltaMiB: mib(after.heapUsed - before.heapUsed),
    externalDeltaMiB: mib(after.external + after.arrayBuffers - before.external - before.arrayBuffers),
    rssBeforeMiB: mib(before.rss),
    rssAfterMiB: mib(after.rss),
    errors,
  };
  await app.close();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
