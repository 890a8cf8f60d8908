/**
 * samples/chat.ts as a real process (as `npm run start:chat` runs it, from source through
 * test/scripts/register-ts.js) with REDIS_URL on the shared Redis; stopped with SIGTERM by onCleanup.
 * Every process of a test file gets the same CHAT_SECRET, as a deployment's nodes would: a token
 * from one process's /token logs in on any of them.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { onCleanup } from '../../helpers/cleanup';
import { SHARED_REDIS_URL } from './redis';

const ROOT = join(__dirname, '..', '..', '..');

/** The tokens' secret shared by the processes this file starts. */
export const CHAT_SECRET = randomBytes(16).toString('hex');

/** Resolves with the port the sample printed once it listens on 127.0.0.1, and its base URL (for /token); `env` adds variables (CHAT_TOKEN_TTL …). */
export function startChatProcess(env: Record<string, string> = {}): Promise<{ port: number; base: string }> {
  const child = spawn(process.execPath, ['-r', join(ROOT, 'test/scripts/register-ts.js'), join(ROOT, 'samples/chat.ts')], {
    cwd: ROOT,
    env: { ...process.env, REDIS_URL: SHARED_REDIS_URL, PORT: '0', HOST: '127.0.0.1', CHAT_SECRET, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  onCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`chat sample did not start:\n${stderr}`)), 30_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /ws:\/\/localhost:(\d+)\/chat/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve({ port: Number(m[1]), base: `http://127.0.0.1:${m[1]}` });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`chat sample exited with ${code}:\n${stderr}`));
    });
  });
}
