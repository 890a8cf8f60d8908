/**
 * The typed client against a server process that is killed (SIGKILL: no close frame) and started
 * again on the same port: reconnecting → open, the call pending at the kill rejects with
 * WebSocketClosedError, a call made while reconnecting is sent after the reconnect, close() stops it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WebSocketClosedError } from '../../../src';
import { connect, type ClientState } from '../../../src/client-entry';
import { onCleanup } from '../../helpers/cleanup';
import { rejectionOf } from '../../helpers/client';
import { eventually } from '../../helpers/eventually';
import { chat } from './contract';

const root = join(__dirname, '..', '..', '..');

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Starts test/scripts/contract-server.ts on `port`; resolves once it prints that it listens. */
async function startServer(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-r', join(root, 'test/scripts/register-ts.js'), join(root, 'test/scripts/contract-server.ts'), String(port)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  onCleanup(() => void child.kill('SIGKILL'));
  let out = '';
  for await (const chunk of child.stdout!) {
    out += String(chunk);
    if (out.includes(`listening ${port}`)) return child;
  }
  throw new Error(`the server process ended before it listened: ${out}`);
}

test('server process killed and started again on the same port', async () => {
  const port = await freePort();
  let server = await startServer(port);
  const states: ClientState[] = [];
  const c = await connect(chat, `ws://127.0.0.1:${port}/chat`, { reconnect: { min: 20, max: 100 }, onStateChange: (s) => void states.push(s) });
  onCleanup(() => c.close());
  const first = await c.call('say', { text: 'one' });
  expect(first.id).toBe(`${server.pid}:one`);

  const held = c.call('say', { text: 'hold' }); // pending when the process dies
  server.kill('SIGKILL');
  await once(server, 'exit');
  expect(await rejectionOf(held)).toBeInstanceOf(WebSocketClosedError);
  await eventually(() => states.at(-1) === 'reconnecting', 'the client to start reconnecting');

  const queued = c.call('say', { text: 'queued' }); // made while the server is down
  server = await startServer(port);
  expect(await queued).toEqual({ id: `${server.pid}:queued` });
  expect(states.at(-1)).toBe('open');
  expect(states.filter((s) => s === 'open').length).toBeGreaterThanOrEqual(1);
  expect(states.includes('reconnecting')).toBe(true);

  c.close();
  await eventually(() => states.at(-1) === 'closed', 'the client to close');
  server.kill('SIGKILL');
  await once(server, 'exit');
  await new Promise((resolve) => setTimeout(resolve, 300)); // several backoff periods: it must not come back
  expect(states.at(-1)).toBe('closed');
}, 30_000);
