/**
 * Python peers for the integration suite: Debian's /usr/bin/python3 (it sees python3-websockets and
 * python3-tornado; a pyenv `python3` on PATH does not) running the scripts in ../peers.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const PYTHON = '/usr/bin/python3';
export const PEERS_DIR = join(__dirname, '..', 'peers');

/** One `EVENT <json>` line printed by a peer server. */
export interface PeerEvent {
  type: string;
  path?: string;
  [key: string]: unknown;
}

export interface PeerServer {
  readonly port: number;
  /** ws://127.0.0.1:PORT + path */
  url(path: string): string;
  /** Every EVENT line so far, in order. */
  readonly events: PeerEvent[];
  /** Resolves with the first event (past or future) that matches, or rejects after timeoutMs. */
  waitForEvent(match: (e: PeerEvent) => boolean, what: string, timeoutMs?: number): Promise<PeerEvent>;
  /** Everything the process printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcessWithoutNullStreams>();

const HINT = 'the integration suite needs Debian\'s python3-tornado and python3-websockets (apt-get install -y python3-tornado python3-websockets)';

function spawnPeer(script: string, args: string[]): ChildProcessWithoutNullStreams {
  const child = spawn(PYTHON, ['-u', join(PEERS_DIR, script), ...args], {
    cwd: PEERS_DIR,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONIOENCODING: 'utf-8' },
    stdio: 'pipe',
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL if it has not exited after graceMs; resolves once it has exited. */
export async function killPeer(child: ChildProcessWithoutNullStreams, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Kills every peer process still running (a safety net for afterAll). */
export async function killAllPeers(): Promise<void> {
  await Promise.all([...running].map((child) => killPeer(child)));
}

/** Starts a peer server script; resolves once it printed `LISTENING <port>`. */
export async function startPeerServer(script: string, timeoutMs = 15000): Promise<PeerServer> {
  const child = spawnPeer(script, []);
  let out = '';
  const events: PeerEvent[] = [];
  const waiters = new Set<() => void>();
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const lines = createInterface({ input: child.stdout });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${script} printed no LISTENING line in ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onExit = (code: number | null): void => fail(new Error(`${script} exited (${code}) before listening (${HINT}):\n${out}`));
    function fail(err: Error): void {
      clearTimeout(timer);
      child.off('exit', onExit);
      void killPeer(child).then(() => reject(err));
    }
    child.once('exit', onExit);
    lines.on('line', (line) => {
      out += `${line}\n`;
      const listening = /^LISTENING (\d+)$/.exec(line);
      if (listening) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(Number(listening[1]));
      } else if (line.startsWith('EVENT ')) {
        events.push(JSON.parse(line.slice('EVENT '.length)) as PeerEvent);
        for (const wake of [...waiters]) wake();
      }
    });
  });
  return {
    port,
    url: (path) => `ws://127.0.0.1:${port}${path}`,
    events,
    output: () => out,
    waitForEvent(match, what, waitMs = 10000) {
      const found = events.find(match);
      if (found) return Promise.resolve(found);
      return new Promise<PeerEvent>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${script}: no event "${what}" within ${waitMs} ms; events so far:\n${JSON.stringify(events, null, 1)}`));
        }, waitMs);
        function check(): void {
          const e = events.find(match);
          if (e) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(e);
          }
        }
        waiters.add(check);
      });
    },
    stop: () => killPeer(child),
  };
}

export interface PeerClientRun<R> {
  /** The parsed `RESULT <json>` line. */
  readonly result: R;
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
}

/** Runs a peer client script to its end and parses its `RESULT <json>` line. */
export async function runPeerClient<R = Record<string, unknown>>(script: string, args: string[], timeoutMs = 90000): Promise<PeerClientRun<R>> {
  const child = spawnPeer(script, args);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exitCode = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => void killPeer(child), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`${script} ${args.join(' ')} printed no RESULT line (exit ${exitCode}; ${HINT}):\n${stdout}\n${stderr}`);
  return { result: JSON.parse(line.slice('RESULT '.length)) as R, stdout, stderr, exitCode };
}
