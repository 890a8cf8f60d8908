/**
 * Redis for the integration suite: the shared server at 127.0.0.1:6379 (started by .ci/run), and
 * private `redis-server` processes a test owns on a free port so it can stop and restart them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createClient } from 'redis';
import { onCleanup } from '../../helpers/cleanup';

export const SHARED_REDIS_URL = 'redis://127.0.0.1:6379';

let prefixes = 0;
/** A channel prefix no other test (or run) uses. */
export function uniquePrefix(): string {
  return `wsgate-test:${process.pid}:${Date.now()}:${++prefixes}:`;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A redis-server child process on 127.0.0.1 that the test stops and restarts; killed after the test. */
export class OwnedRedis {
  private child: ChildProcess | undefined;
  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<OwnedRedis> {
    const redis = new OwnedRedis(await freePort());
    onCleanup(() => redis.stop());
    await redis.restart();
    return redis;
  }

  /** Starts the server (again) on the same port; resolves once it accepts connections. */
  async restart(): Promise<void> {
    if (this.child) throw new Error('redis-server is already running');
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 10_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${output}`));
      });
    });
  }

  /** Stops the server process (SIGSTOP): connections stay open, commands get no reply until it is killed. */
  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  /** Lets a frozen server (SIGSTOP) run again (SIGCONT): it answers what its connections sent meanwhile. */
  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** The server's process id (while it runs). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Kills the server (an outage: clients see their connections drop) and waits for its exit. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
}

/** Number of Redis connections subscribed to `channel` (PUBSUB NUMSUB). */
export async function subscriberCount(url: string, channel: string): Promise<number> {
  const client = createClient({ url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const counts = await client.pubSubNumSub(channel);
    return Number(counts[channel] ?? 0);
  } finally {
    client.destroy();
  }
}
