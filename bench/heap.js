#!/usr/bin/env node
'use strict';
/**
 * What one idle connection costs on a server's heap, by kind of object:
 * `node bench/heap.js [server] [--count N] [--top N] [--no-build]` (default wsgate-json, 2,000
 * connections). Takes a heap snapshot of the server before and with N idle connections and prints
 * (after − before) ÷ N per constructor: bytes and count per connection. Snapshots stay in
 * bench/results/profiles/ (not committed), for Chrome DevTools' Memory panel.
 */
const fs = require('node:fs');
const path = require('node:path');
const { BENCH, startServer, stopServer, runClient, installCleanup } = require('./lib/procs');
const { build } = require('./lib/build');
const { parseArgs } = require('./lib/args');

const { flag, option, positional } = parseArgs(process.argv.slice(2), ['--count', '--top']);
const server = positional ?? 'wsgate-json';
const count = Number(option('--count', 2000));
const top = Number(option('--top', 25));
const dir = path.join(BENCH, 'results/profiles');

/** Self size and count per kind: constructor name for objects and closures, the type otherwise. */
function histogram(file) {
  const snap = JSON.parse(fs.readFileSync(file, 'utf8'));
  const { node_fields: fields, node_types: [types] } = snap.snapshot.meta;
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const { nodes, strings } = snap;
  const out = new Map();
  for (let i = 0; i < nodes.length; i += fields.length) {
    const type = types[nodes[i + iType]];
    const name = strings[nodes[i + iName]];
    const key =
      type === 'object' || type === 'closure' ? `${name} (${type === 'closure' ? 'closure' : 'object'})`
      : /string/.test(type) ? '(strings)'
      : type === 'array' ? `(internal array${name ? `: ${name}` : ''})`
      : `(${type})`;
    const e = out.get(key) ?? { n: 0, size: 0 };
    e.n++;
    e.size += nodes[i + iSize];
    out.set(key, e);
  }
  return out;
}

async function main() {
  installCleanup();
  if (!flag('--no-build')) build({ wsgate: server.startsWith('wsgate') });
  fs.mkdirSync(dir, { recursive: true });
  const s = await startServer(server);
  let result;
  try {
    result = await runClient({ mode: 'heap', port: s.port, control: s.control, path: '/echo', count, dir, name: server }, { timeoutMs: 180000 });
  } finally {
    await stopServer(s);
  }
  const before = histogram(result.before);
  const after = histogram(result.after);
  const rows = [...after].map(([key, a]) => {
    const b = before.get(key) ?? { n: 0, size: 0 };
    return { key, size: (a.size - b.size) / count, n: (a.n - b.n) / count };
  });
  const total = rows.reduce((t, r) => t + r.size, 0);
  rows.sort((x, y) => y.size - x.size);
  const lines = [`# Heap per idle connection: ${server}`, '', `${count} connections; ${total.toFixed(0)} bytes of heap per connection (self sizes, after − before).`, '', '| bytes/conn | objects/conn | kind |', '|--:|--:|---|'];
  for (const r of rows.slice(0, top)) lines.push(`| ${r.size.toFixed(0)} | ${r.n.toFixed(2)} | ${r.key} |`);
  const text = lines.join('\n') + '\n';
  fs.writeFileSync(path.join(dir, `${server}-heap.md`), text);
  process.stdout.write(text);
}

main().catch((err) => {
  process.stderr.write(`heap: ${err && err.stack ? err.stack : err}\n`);
  process.exitCode = 1;
});
