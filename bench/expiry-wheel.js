#!/usr/bin/env node
'use strict';
/**
 * What the expiry wheel costs: `node bench/expiry-wheel.js [--count N] [--no-build]` (default
 * 100,000 entries). Builds the library (unless --no-build), then on a fake clock times scheduling
 * N entries at random deadlines within an hour, moving each once (a refresh), and firing them all;
 * prints ns per operation and how many timers were armed. No sockets: the wheel alone.
 */
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { parseArgs } = require('./lib/args');

const { flag, option } = parseArgs(process.argv.slice(2), ['--count']);
const count = Number(option('--count', 100_000));
const root = path.join(__dirname, '..');
if (!flag('--no-build')) {
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
const { ExpiryWheel } = require(path.join(root, 'dist/src/auth/expiry-wheel.js'));

let now = 1_700_000_000_000;
const timers = new Map();
let nextId = 1;
let armed = 0;
const wheel = new ExpiryWheel({
  now: () => now,
  setTimer: (fire, ms) => (armed++, timers.set(nextId, { at: now + ms, fire }), nextId++),
  clearTimer: (id) => timers.delete(id),
});
let fired = 0;
const entries = Array.from({ length: count }, () => ({ onDeadline: () => void fired++ }));
let seed = 1;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

const time = (label, fn) => {
  const t0 = process.hrtime.bigint();
  fn();
  const ns = Number(process.hrtime.bigint() - t0);
  console.log(`${label}: ${(ns / count).toFixed(0)} ns per entry (${(ns / 1e6).toFixed(1)} ms for ${count})`);
};
time('schedule', () => { for (const e of entries) wheel.schedule(e, now + 1000 + random() * 3_600_000); });
time('move (refresh)', () => { for (const e of entries) wheel.schedule(e, now + 1000 + random() * 3_600_000); });
time('fire', () => {
  const end = now + 3_700_000;
  for (;;) {
    let next;
    for (const t of timers) if (!next || t[1].at < next[1].at) next = t;
    if (!next || next[1].at > end) break;
    timers.delete(next[0]);
    now = next[1].at;
    next[1].fire();
  }
});
console.log(`fired ${fired} of ${count}; timers armed in all: ${armed}; alive now: ${timers.size}`);
