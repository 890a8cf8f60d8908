/**
 * CPU time per echoed message (sync and async @OnMessage, 200,000 pipelined JSON messages) and per
 * handshake (2,000 sequential), client and server in one process: steadier than rates on a busy machine.
 * `SRC=<absolute path of a src folder, default this one> LABEL=x node -r ./test/scripts/register-ts.js test/scripts/echo-cpu.ts`
 */
import 'reflect-metadata';
import WebSocket from 'ws';
const src = process.env.SRC ?? '../../src';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createApp, Gateway, OnMessage } = require(src);

@Gateway('/sync')
class SyncEcho { @OnMessage() m(x: string): string { return x; } }
@Gateway('/async')
class AsyncEcho { @OnMessage() async m(x: string): Promise<string> { return x; } }

async function rate(port: number, path: string, n: number, window: number): Promise<number> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
  await new Promise((r) => ws.once('open', r));
  const t0 = process.cpuUsage();
  let got = 0, sent = 0;
  await new Promise<void>((resolve) => {
    ws.on('message', () => { got++; if (sent < n) { ws.send('{"hello":"world","n":1}'); sent++; } if (got === n) resolve(); });
    for (; sent < window; sent++) ws.send('{"hello":"world","n":1}');
  });
  const u = process.cpuUsage(t0);
  ws.terminate();
  return (u.user + u.system) / n; // CPU µs per message (client and server)
}

async function handshakes(port: number, n: number): Promise<number> {
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/sync`);
    await new Promise((r) => ws.once('open', r));
    ws.terminate();
  }
  const u = process.cpuUsage(t0);
  return (u.user + u.system) / n; // CPU µs per handshake (client and server)
}

(async () => {
  // ALS=1: an AsyncLocalStorage entered once, i.e. the process-wide cost of async context tracking
  // that wrapping handler calls in als.run() would bring (on Node 20 it installs promise hooks).
  if (process.env.ALS) new (require('node:async_hooks') as typeof import('node:async_hooks')).AsyncLocalStorage().enterWith({});
  const app = createApp({ gateways: [SyncEcho, AsyncEcho], logger: { error() {}, warn() {} } });
  const { port } = await app.listen(0, '127.0.0.1');
  await rate(port, '/sync', 20000, 50); // warm-up
  await rate(port, '/async', 20000, 50);
  const s = await rate(port, '/sync', 200000, 50);
  const a = await rate(port, '/async', 200000, 50);
  const h = await handshakes(port, 2000);
  console.log(JSON.stringify({ label: process.env.LABEL, syncUs: +s.toFixed(2), asyncUs: +a.toFixed(2), handshakeUs: Math.round(h) }));
  await app.close();
})();
