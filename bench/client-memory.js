/**
 * Client memory with a fast server and an application that does not read (issue 3).
 *
 *   npm run build && node --expose-gc bench/client-memory.js [count] [size] [idleMs]
 *
 * A child process runs a plain ws server that sends COUNT messages of SIZE bytes as fast as it can
 * (it does not wait for flushes). This process connects once with wsgate's websocketConnect
 * (maxQueuedMessages 64, read queue bounded) and once with a bare ws client (no flow control),
 * reads nothing for IDLE ms while sampling heapUsed/RSS, then reads everything and checks order.
 */
'use strict';
const { fork } = require('node:child_process');
const { once } = require('node:events');
const WebSocket = require('ws');
require('reflect-metadata');
const { websocketConnect } = require('../dist/src');

const [count = 20000, size = 1024, idleMs = 2000] = process.argv.slice(2).map(Number);

if (process.argv[2] === '--server') {
  const wss = new WebSocket.WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  wss.on('listening', () => process.send(wss.address().port));
  wss.on('connection', (ws) => {
    ws.on('message', (m) => {
      const [n, bytes] = String(m).split(':').map(Number);
      const pad = 'x'.repeat(bytes - 8);
      for (let i = 0; i < n; i++) ws.send(`${String(i).padStart(7, '0')}:${pad}`);
    });
  });
  return;
}

const mib = (n) => (n / 1048576).toFixed(1);
const heap = (m) => m.heapUsed + m.arrayBuffers;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function measure(label, open) {
  global.gc?.();
  await sleep(50);
  const before = process.memoryUsage();
  const reader = await open();
  let peakHeap = 0;
  let peakRss = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed + m.arrayBuffers);
    peakRss = Math.max(peakRss, m.rss);
  };
  const timer = setInterval(sample, 20);
  await reader.send(`${count}:${size}`);
  await sleep(idleMs);
  sample();
  clearInterval(timer);
  const queued = reader.queued();
  global.gc?.();
  const retained = process.memoryUsage();
  for (let i = 0; i < count; i++) {
    const m = await reader.read();
    if (Number(String(m).slice(0, 7)) !== i) throw new Error(`${label}: message ${i} out of order`);
  }
  await reader.close();
  console.log(
    `${label.padEnd(34)} while idle: heap+buffers +${mib(peakHeap - heap(before))} MiB at peak, +${mib(heap(retained) - heap(before))} MiB retained after gc;` +
      ` RSS +${mib(peakRss - before.rss)} MiB at peak; ${queued} messages queued`,
  );
}

async function main() {
  const child = fork(__filename, ['--server'], { stdio: 'inherit' });
  const [port] = await once(child, 'message');
  const url = `ws://127.0.0.1:${port}/`;
  console.log(`${count} × ${size} B = ${mib(count * size)} MiB sent as fast as possible; the app reads nothing for ${idleMs} ms`);

  await measure('wsgate websocketConnect (64)', async () => {
    const conn = await websocketConnect(url);
    return {
      send: (m) => conn.writeMessage(m),
      read: () => conn.readMessage(),
      queued: () => conn.inbox.size, // internal, for the report only
      close: () => conn.close(),
    };
  });

  await measure('bare ws client (no flow control)', async () => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const inbox = [];
    let wake;
    ws.on('message', (data) => {
      inbox.push(data.toString());
      wake?.();
    });
    await once(ws, 'open');
    return {
      send: (m) => new Promise((r) => ws.send(m, r)),
      read: async () => {
        while (inbox.length === 0) await new Promise((r) => (wake = r));
        return inbox.shift();
      },
      queued: () => inbox.length,
      close: async () => {
        ws.close();
        await once(ws, 'close');
      },
    };
  });
  child.kill();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
