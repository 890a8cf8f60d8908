/**
 * Fan-out of one 64-byte text message to N local subscribers (default 5,000), issue 6:
 * time of one `hub.publish` against a plain loop of `ws.send` over the very same server-side
 * sockets, in the same process and run, interleaved round by round. Reports medians.
 *
 *   npm run build && node bench/fanout-local.js [--subscribers 5000] [--rounds 200]
 *
 * Runs against the built library (dist/), like the rest of bench/. The subscribers are ws clients
 * in a child process (pinned to CPU 1 when taskset exists; the server side to CPU 0), so reading
 * does not share the measuring process. Each round waits until every socket has flushed and the
 * clients have read the message, so rounds do not pile up in socket buffers.
 */
'use strict';
const { fork, execFileSync } = require('node:child_process');
const path = require('node:path');

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const SUBSCRIBERS = opt('subscribers', 5000);
const ROUNDS = opt('rounds', 200);
const MESSAGE = 'x'.repeat(64);

function pin(cpu, pid) {
  try {
    execFileSync('taskset', ['-pc', String(cpu), String(pid)], { stdio: 'ignore' });
  } catch {
    /* no taskset: unpinned */
  }
}

if (process.argv[2] === '--clients') {
  // Child: open the subscribers, count what they receive, report totals when asked.
  const WebSocket = require('ws');
  const [url, count] = [process.argv[3], Number(process.argv[4])];
  let received = 0;
  let open = 0;
  const sockets = [];
  const openOne = () =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      ws.on('message', () => void received++);
      ws.once('open', () => {
        open++;
        resolve();
      });
      ws.once('error', reject);
      sockets.push(ws);
    });
  (async () => {
    for (let i = 0; i < count; i += 100) await Promise.all(Array.from({ length: Math.min(100, count - i) }, openOne));
    process.send({ type: 'open', open });
  })().catch((err) => {
    console.error(err);
    process.exit(1);
  });
  process.on('message', (m) => {
    if (m.type === 'count') process.send({ type: 'count', received });
    if (m.type === 'exit') {
      for (const ws of sockets) ws.terminate();
      process.exit(0);
    }
  });
  return;
}

require('reflect-metadata');
const { performance } = require('node:perf_hooks');
const wsgate = require(path.join(__dirname, '..', 'dist', 'src'));
const { Connection, Gateway, Hub, OnMessage, OnOpen, createApp } = wsgate;

const connections = [];

// Decorators applied by hand: this file is plain JS (the library itself is built by tsc).
class FanoutGateway {
  constructor(conn) {
    this.conn = conn;
  }
  open() {
    connections.push(this.conn);
    return this.conn.subscribe('bench');
  }
  message() {}
}
Reflect.defineMetadata('design:paramtypes', [Connection], FanoutGateway);
OnOpen()(FanoutGateway.prototype, 'open', Object.getOwnPropertyDescriptor(FanoutGateway.prototype, 'open'));
OnMessage()(FanoutGateway.prototype, 'message', Object.getOwnPropertyDescriptor(FanoutGateway.prototype, 'message'));
Gateway('/fanout')(FanoutGateway);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  pin(0, process.pid);
  const app = createApp({ gateways: [FanoutGateway] });
  const { port } = await app.listen(0, '127.0.0.1');
  const hub = app.container.resolve(Hub);
  const child = fork(__filename, ['--clients', `ws://127.0.0.1:${port}/fanout`, String(SUBSCRIBERS)], { stdio: 'inherit' });
  pin(1, child.pid);
  const reply = (type) =>
    new Promise((resolve) => {
      const on = (m) => {
        if (m.type !== type) return;
        child.off('message', on);
        resolve(m);
      };
      child.on('message', on);
      child.send({ type });
    });
  await new Promise((resolve) => child.once('message', resolve)); // 'open'
  while (hub.localSubscribers('bench') < SUBSCRIBERS) await new Promise((r) => setTimeout(r, 10));

  const kSocket = Object.getOwnPropertySymbols(connections[0]).find((s) => s.description === 'wsgate.socket');
  const sockets = connections.map((c) => c[kSocket]);
  const payload = Buffer.from(MESSAGE);
  let expected = 0;
  const settle = async () => {
    expected += SUBSCRIBERS;
    for (let i = 0; i < 2000; i++) {
      if ((await reply('count')).received >= expected) return;
      await new Promise((r) => setTimeout(r, 2));
    }
    throw new Error('clients did not receive every message');
  };

  const variants = {
    'hub.publish': () => void hub.publish('bench', MESSAGE),
    'ws.send(string) loop': () => {
      for (const ws of sockets) ws.send(MESSAGE);
    },
    'ws.send(Buffer, {binary:false}) loop': () => {
      for (const ws of sockets) ws.send(payload, { binary: false });
    },
  };
  const times = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  // Warm-up rounds (JIT), not recorded.
  for (let r = 0; r < 10; r++) for (const run of Object.values(variants)) { run(); await settle(); }
  for (let r = 0; r < ROUNDS; r++) {
    // Rotate the order each round so no variant always runs right after another.
    const names = Object.keys(variants);
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + r) % names.length];
      const t0 = performance.now();
      variants[name]();
      times[name].push(performance.now() - t0);
      await settle();
    }
  }
  const base = median(times['ws.send(string) loop']);
  const rows = Object.entries(times).map(([name, xs]) => ({
    variant: name,
    'median ms': Number(median(xs).toFixed(3)),
    'µs per subscriber': Number(((median(xs) * 1000) / SUBSCRIBERS).toFixed(3)),
    'vs ws.send(string) loop': `${(median(xs) / base).toFixed(2)}×`,
  }));
  console.log(`fan-out of one ${MESSAGE.length}-byte text message to ${SUBSCRIBERS} local subscribers, ${ROUNDS} rounds each, node ${process.version}`);
  console.table(rows);
  child.send({ type: 'exit' });
  await app.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
