/**
 * Flood: a peer in another process writes COUNT messages of SIZE bytes as fast as it can to a
 * gateway whose handler awaits a 1 ms timer for each. While the backlog is large the server must
 * hold about maxQueuedMessages messages plus socket buffers (it pauses the socket), and still
 * process every message, in order. Samples the heap (after a forced GC) and RSS every 200 ms and
 * prints one JSON line. Needs --expose-gc.
 *
 *   node --expose-gc -r ./test/scripts/register-ts.js test/scripts/flood.ts [count=20000] [size=1024] [maxQueuedMessages=64]
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Connection, createApp, Gateway, OnMessage, type Logger } from '../../src';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const count = Number(process.argv[2] ?? 20_000);
const size = Number(process.argv[3] ?? 1024);
const maxQueuedMessages = Number(process.argv[4] ?? 64);

let processed = 0;
let outOfOrder = 0;
let wrongSize = 0;

@Gateway('/flood', { maxMessageSize: 64 * 1024 })
class FloodGateway {
  constructor(private readonly conn: Connection) {}
  @OnMessage() async message(m: string): Promise<void> {
    if (Number(m.slice(0, m.indexOf(' '))) !== processed) outOfOrder++;
    if (m.length !== size) wrongSize++;
    await new Promise((resolve) => setTimeout(resolve, 1));
    processed++;
    if (processed === count) await this.conn.writeMessage(`done ${processed}`);
  }
}

const errors: string[] = [];
const logger: Logger = { error: (m: string) => void errors.push(m), warn: (m: string) => void errors.push(m) };
const mib = (n: number): number => Math.round((n / 2 ** 20) * 100) / 100;

interface Sample {
  backlog: number;
  /** heapUsed + arrayBuffers after a full GC */
  live: number;
  rss: number;
}

async function main(): Promise<void> {
  const app = createApp({ gateways: [FloodGateway], logger, maxQueuedMessages });
  const { port } = await app.listen(0, '127.0.0.1');
  for (let i = 0; i < 10; i++) gc!();
  const base = process.memoryUsage();

  const samples: Sample[] = [];
  const sampler = setInterval(() => {
    gc!();
    const m = process.memoryUsage();
    samples.push({ backlog: count - processed, live: m.heapUsed + m.arrayBuffers, rss: m.rss });
  }, 200);

  const started = Date.now();
  const client = spawn(process.execPath, ['-r', join(__dirname, 'register-ts.js'), join(__dirname, 'flood-client.ts'), String(port), String(count), String(size)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let clientOut = '';
  client.stdout.setEncoding('utf8').on('data', (s: string) => (clientOut += s));
  const exitCode = await new Promise<number | null>((resolve) => client.on('exit', resolve));
  const ms = Date.now() - started;
  clearInterval(sampler);
  // The reference is the idle server after the run (connection ended, GC'd): V8 keeps flushing
  // start-up bytecode during the first collections, which makes a reference taken before the run drift.
  await new Promise((resolve) => setTimeout(resolve, 100));
  for (let i = 0; i < 10; i++) gc!();
  const idle = process.memoryUsage();
  const idleLive = idle.heapUsed + idle.arrayBuffers;

  // "While the backlog is large": samples taken with more than 1,000 messages still to process.
  const busy = samples.filter((s) => s.backlog > 1000);
  const live = busy.map((s) => s.live - idleLive);
  const rss = busy.map((s) => s.rss - Math.min(base.rss, idle.rss));
  await app.close();
  process.stdout.write(
    `${JSON.stringify({
      count,
      size,
      maxQueuedMessages,
      processed,
      outOfOrder,
      wrongSize,
      ms,
      clientExit: exitCode,
      client: clientOut.trim().split('\n').map((l) => JSON.parse(l) as unknown),
      samples: samples.length,
      busySamples: busy.length,
      idleLiveMiB: mib(idleLive),
      baseRssMiB: mib(base.rss),
      peakLiveDeltaMiB: mib(Math.max(...live)),
      peakRssDeltaMiB: mib(Math.max(...rss)),
      errors,
    })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
