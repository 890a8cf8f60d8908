/**
 * The samples shut down gracefully on SIGTERM / SIGINT: each runs in its own Node process (as
 * `npm start` runs it), holds a WebSocket and a browser-like spare HTTP connection, and must exit
 * 0 after sending 1001 Going Away, without waiting for the spare connection.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { requestToken } from '../helpers/chat-member';
import { onCleanup } from '../helpers/cleanup';
import { closed, connect } from '../helpers/ws-client';

const root = join(__dirname, '..', '..');

/** Starts a sample on 127.0.0.1, port 0; resolves with the child and the port it printed. */
async function startSample(file: string): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const child = spawn(process.execPath, ['-r', join(root, 'test/scripts/register-ts.js'), join(root, 'samples', file)], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (out += c));
  for (let i = 0; i < 1000 && !/localhost:(\d+)/.test(out); i++) {
    if (child.exitCode !== null) throw new Error(`${file} exited early:\n${out}`);
    await Promise.race([once(child.stdout!, 'data'), once(child, 'exit')]);
  }
  const port = Number(/localhost:(\d+)/.exec(out)?.[1]);
  if (!port) throw new Error(`${file} printed no port:\n${out}`);
  return { child, port, output: () => out };
}

describe.each([
  ['echo.ts', '/websocket', 'SIGTERM', false],
  ['chat-room.ts', '/chat/lobby', 'SIGINT', false],
  ['chat.ts', '/chat/lobby', 'SIGINT', true], // wants a token: from its demo login
] as const)('samples/%s', (file, path, signal, login) => {
  it(`closes every WebSocket with 1001 and exits 0 on ${signal}, even with a spare HTTP connection open`, async () => {
    const { child, port, output } = await startSample(file);
    const headers: Record<string, string> = login ? { Authorization: `Bearer ${(await requestToken(`http://127.0.0.1:${port}`, 'shutdown')).body}` } : {};
    const ws = await connect(`ws://127.0.0.1:${port}${path}`, undefined, { headers });
    const end = closed(ws);
    // What a browser leaves behind after loading a page: a connection with a request not yet complete.
    const spare = tcpConnect(port, '127.0.0.1');
    onCleanup(() => spare.destroy());
    spare.on('error', () => undefined);
    await once(spare, 'connect');
    spare.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');

    const exited = once(child, 'exit');
    child.kill(signal);
    expect(await end).toEqual({ code: 1001, reason: 'Going Away' });
    const [code, sig] = (await exited) as [number | null, NodeJS.Signals | null];
    expect({ code, sig, output: code === 0 ? '' : output() }).toEqual({ code: 0, sig: null, output: '' });
  });
});
