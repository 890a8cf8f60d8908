#!/usr/bin/env node
'use strict';
/**
 * wsgate benchmarks: `node bench/run.js [--quick]` from the repository root (or `npm run bench`).
 *
 * Builds the library (root `npm run build`) and the bench (bench/tsconfig.json), then for each
 * repetition and each benchmark starts every server under test in turn (interleaved: A B C, then
 * C B A, …), each in a fresh process pinned to CPU 0, with the load client pinned to CPU 1.
 * Reports medians over repetitions and, for each repetition, the ratio of a server's value to raw
 * ws's value in that same repetition (median of those ratios), in results/latest.md,
 * results/latest.svg and results/latest.json.
 *
 * Options:
 *   --quick             1 repetition, shorter windows (a smoke run, ~1.5 min)
 *   --reps N            repetitions (default 3, --quick 1)
 *   --only a,b          benchmarks to run (ids below; handshake-guard, handshake-guard-split and handshake-guard-procs run only when named here)
 *   --servers a,b       families to run: raw, wsgate, nest, socketio (raw is always kept: it is the baseline)
 *   --with a,b          add experimental servers (raw-json-corked, raw-rtt-corked) to the benchmarks of their base server
 *   --no-build          use the existing dist/ and bench/build/
 *   --out DIR           where to write latest.* (default bench/results)
 *   --rerender          only rewrite latest.md and latest.svg from latest.json
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { BENCH, ROOT, PIN, startServer, stopServer, runClient, installCleanup } = require('./lib/procs');
const { build } = require('./lib/build');
const { writeReport } = require('./lib/report');
const { waitQuiet, account } = require('./lib/noise');
const { parseArgs } = require('./lib/args');

const { flag, option } = parseArgs(process.argv.slice(2));
const QUICK = flag('--quick');
const REPS = Number(option('--reps') ?? (QUICK ? 1 : 3));
const ONLY = option('--only')?.split(',');
const FAMILIES = new Set(option('--servers')?.split(',') ?? ['raw', 'wsgate', 'nest', 'socketio']);
FAMILIES.add('raw');
const WITH = option('--with')?.split(',') ?? [];
const OUT = path.resolve(option('--out') ?? path.join(BENCH, 'results'));

/** The guard benchmarks' paths on the wsgate-guards servers, the first one the baseline. */
const GUARD_PATHS = [
  { path: '/echo', name: 'noguard' },
  { path: '/pass', name: 'pass' },
  { path: '/hmac', name: 'hmac' },
];
// 60 rounds: with 20, a path's ratio moved by ±0.1 from one repetition to the next.
const GUARD_AB_OPTIONS = { count: 200, rounds: QUICK ? 8 : 60, concurrency: 50 };

/**
 * The benchmarks. `metrics`: what the client reports that the table shows, with the direction
 * that is better and the budget for wsgate's ratio to raw ws (when it sets one).
 */
const BENCHMARKS = [
  {
    id: 'throughput-json',
    title: 'JSON echo, 50 conns × 16 in flight, 64 B',
    mode: 'throughput',
    servers: ['raw-json', 'wsgate-json', 'nest-json'],
    options: QUICK ? { warmupMs: 1000, measureMs: 3000 } : { warmupMs: 2000, measureMs: 8000 },
    conns: 50,
    metrics: [
      { key: 'msgPerSec', label: 'msg/s', better: 'higher', budget: 0.95, digits: 0 },
      { key: 'cpuUsPerMsg', label: 'server CPU µs/msg', better: 'lower', budget: 1.05, digits: 2 },
      { key: 'rttP50Ms', label: 'RTT p50 ms', better: 'lower', digits: 2 },
      { key: 'rttP99Ms', label: 'RTT p99 ms', better: 'lower', digits: 2 },
    ],
  },
  {
    id: 'throughput-text',
    title: 'text echo, 50 conns × 16 in flight, 64 B',
    mode: 'throughput',
    servers: ['raw-text', 'wsgate-text'],
    options: QUICK ? { warmupMs: 1000, measureMs: 3000 } : { warmupMs: 2000, measureMs: 8000 },
    metrics: [
      { key: 'msgPerSec', label: 'msg/s', better: 'higher', budget: 0.95, digits: 0 },
      { key: 'cpuUsPerMsg', label: 'server CPU µs/msg', better: 'lower', budget: 1.05, digits: 2 },
      { key: 'rttP50Ms', label: 'RTT p50 ms', better: 'lower', digits: 2 },
      { key: 'rttP99Ms', label: 'RTT p99 ms', better: 'lower', digits: 2 },
    ],
  },
  {
    id: 'latency',
    title: 'JSON echo latency, 1 conn, 1 in flight',
    mode: 'latency',
    servers: ['raw-json', 'wsgate-json', 'nest-json'],
    options: QUICK ? { warmupMs: 500, measureMs: 1500 } : { warmupMs: 1000, measureMs: 3000 },
    metrics: [
      { key: 'p50Us', label: 'RTT p50 µs', better: 'lower', budget: 1.1, digits: 1 },
      { key: 'p99Us', label: 'RTT p99 µs', better: 'lower', budget: 1.1, digits: 1 },
    ],
  },
  {
    id: 'handshakes',
    title: 'handshakes, open+close, concurrency 50',
    mode: 'handshakes',
    servers: ['raw-json', 'wsgate-json', 'nest-json'],
    options: { count: QUICK ? 1000 : 2000, concurrency: 50 },
    metrics: [
      { key: 'cpuUsPerConn', label: 'server CPU µs/conn', better: 'lower', budget: 1.3, digits: 1 },
      { key: 'connPerSec', label: 'conn/s', better: 'higher', digits: 0 },
    ],
  },
  {
    // Opt-in (--only handshake-guard): what one guard costs, wsgate compared with itself in one
    // process: batches of handshakes to /echo (no guard), /pass (a guard that checks nothing) and
    // /hmac (an HMAC bearer-token guard) in turn, every request with Authorization: Bearer <token>.
    id: 'handshake-guard',
    title: 'handshakes with one guard vs none, one process, open+close, concurrency 50',
    mode: 'handshake-ab',
    servers: ['wsgate-guards'],
    optIn: true,
    clientOptions: () => ({ bearer: true, paths: GUARD_PATHS }),
    options: GUARD_AB_OPTIONS,
    metrics: [
      { key: 'hmacRatio', label: 'HMAC guard ÷ no guard, server CPU/conn', better: 'lower', budget: 1.15, budgetOn: 'value', digits: 3 },
      { key: 'passRatio', label: 'pass-through guard ÷ no guard, server CPU/conn', better: 'lower', digits: 3 },
      { key: 'noguardUs', label: 'no guard: server CPU µs/conn', better: 'lower', digits: 1 },
      { key: 'passUs', label: 'pass-through guard: server CPU µs/conn', better: 'lower', digits: 1 },
      { key: 'hmacUs', label: 'HMAC guard: server CPU µs/conn', better: 'lower', digits: 1 },
    ],
  },
  {
    // Opt-in (--only handshake-guard-split), a diagnostic: what the HMAC guard's cost is made of. Beside
    // the three gateways above, /parse: the same guard without the HMAC (src/common/hmac.ts). A
    // separate server, so that the budget's benchmark keeps three gateways in its process.
    id: 'handshake-guard-split',
    title: "handshakes: where the HMAC guard's cost goes, one process, open+close, concurrency 50",
    mode: 'handshake-ab',
    servers: ['wsgate-guards-split'],
    optIn: true,
    clientOptions: () => ({ bearer: true, paths: [...GUARD_PATHS, { path: '/parse', name: 'parse' }] }),
    options: GUARD_AB_OPTIONS,
    metrics: [
      { key: 'passRatio', label: 'pass-through guard ÷ no guard', better: 'lower', digits: 3 },
      { key: 'parseRatio', label: 'token parsing, no HMAC ÷ no guard', better: 'lower', digits: 3 },
      { key: 'hmacRatio', label: 'HMAC guard ÷ no guard', better: 'lower', digits: 3 },
    ],
  },
  {
    // Opt-in (--only handshake-guard-procs): the same comparison as separate servers, one process
    // each, interleaved per repetition (the other benchmarks' method); ratios to wsgate-noguard.
    id: 'handshake-guard-procs',
    title: 'handshakes with one guard vs none, one process each, open+close, concurrency 50',
    mode: 'handshakes',
    servers: ['wsgate-noguard', 'wsgate-passguard', 'wsgate-hmac'],
    baseline: 'wsgate-noguard',
    optIn: true,
    // Every server gets the same request, Authorization: Bearer <token> included.
    clientOptions: () => ({ bearer: true }),
    options: { count: QUICK ? 1000 : 3000, concurrency: 50 },
    metrics: [
      { key: 'cpuUsPerConn', label: 'server CPU µs/conn', better: 'lower', budget: 1.15, digits: 1 },
      { key: 'connPerSec', label: 'conn/s', better: 'higher', digits: 0 },
    ],
  },
  {
    id: 'memory',
    title: '10,000 idle connections',
    mode: 'memory',
    servers: ['raw-json', 'wsgate-json', 'nest-json'],
    // 10,000 rather than 5,000: the process's fixed costs (malloc arenas, heap pages) vary by 1–2 MB
    // from run to run, which is ±0.2–0.4 KB per connection at 5,000.
    options: { count: 10000, concurrency: 100 },
    // Memory does not depend on CPU contention; tearing 5,000 sockets down keeps kernel threads busy.
    noiseLimit: Infinity,
    // Issue 13's budget. Both readings are taken once the server has been idle 6 s (then a forced GC),
    // before and with the connections; the burst row is RSS 1 s after the last one opened (see bench/README.md).
    metrics: [
      { key: 'rssPerConn', label: 'server RSS B/conn (settled)', better: 'lower', budget: 1.15, digits: 0 },
      { key: 'heapPerConn', label: 'server heap B/conn (settled)', better: 'lower', budget: 1.5, digits: 0 },
      { key: 'rssBurstPerConn', label: 'server RSS B/conn 1 s after the burst', better: 'lower', digits: 0 },
    ],
  },
  {
    id: 'binary',
    title: '1 MiB binary echo, 1 conn × 4 in flight',
    mode: 'binary',
    servers: ['raw-text', 'wsgate-text'],
    options: QUICK ? { warmupMs: 500, measureMs: 2000, inflight: 4 } : { warmupMs: 1000, measureMs: 4000, inflight: 4 },
    metrics: [{ key: 'mibPerSec', label: 'MiB/s', better: 'higher', budget: 0.95, digits: 1 }],
  },
  {
    id: 'fanout',
    title: 'fan-out, one 64 B message to 5,000 connections',
    mode: 'fanout',
    servers: ['raw-fanout', 'wsgate-fanout', 'wsgate-hub'],
    options: QUICK ? { count: 5000, rounds: 8, warmupRounds: 2 } : { count: 5000, rounds: 20, warmupRounds: 3 },
    // 5,000 connections keep kernel threads (softirq, timers) busy; they count as "other processes".
    noiseLimit: 0.3,
    metrics: [
      { key: 'flushUs', label: 'publish until flushed µs', better: 'lower', digits: 0 },
      { key: 'loopUs', label: 'publish call (sync) µs', better: 'lower', digits: 0 },
      { key: 'deliveredUs', label: 'until all received µs', better: 'lower', digits: 0 },
    ],
  },
  {
    id: 'contract-rtt',
    title: 'request/reply, zod-validated, 4 conns × 64 in flight',
    mode: 'rtt',
    servers: ['raw-rtt', 'wsgate-rtt', 'nest-rtt', 'socketio-rtt'],
    path: '/rtt',
    // The wire format the client speaks to each server (see src/rtt-load.ts).
    clientOptions: (server) => ({ flavour: family(server) }),
    options: QUICK ? { warmupMs: 1000, measureMs: 2000, conns: 4, inflight: 64 } : { warmupMs: 1500, measureMs: 4000, conns: 4, inflight: 64 },
    metrics: [
      { key: 'rttPerSec', label: 'round trips/s', better: 'higher', budget: 0.9, digits: 0 },
      // "0.9× raw's efficiency": at most 1 / 0.9 of raw's CPU per request.
      { key: 'cpuUsPerReq', label: 'server CPU µs/request', better: 'lower', budget: 1.11, digits: 2 },
      { key: 'rttP50Ms', label: 'RTT p50 ms', better: 'lower', digits: 2 },
      { key: 'rttP99Ms', label: 'RTT p99 ms', better: 'lower', digits: 2 },
    ],
  },
];

function family(server) {
  return server.split('-')[0];
}
const sh = (cmd, args, cwd = ROOT) => {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
};
const readJson = (file) => {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
};

function hubExported() {
  try {
    return /\bHub\b/.test(fs.readFileSync(path.join(ROOT, 'dist/src/index.d.ts'), 'utf8'));
  } catch {
    return false;
  }
}

function machine() {
  const cpuinfo = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const version = (dir) => readJson(path.join(dir, 'package.json'))?.version;
  const dirty = sh('git', ['status', '--porcelain', '--', 'src']) ? ' (src modified)' : '';
  return {
    nproc: sh('nproc', []) ?? String(os.availableParallelism()),
    cpu: model,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    date: new Date().toISOString(),
    commit: (sh('git', ['rev-parse', '--short', 'HEAD']) ?? 'unknown') + dirty,
    pinning: PIN ? 'server on CPU 0, client on CPU 1 (taskset)' : 'none (taskset unavailable or < 2 CPUs)',
    versions: {
      'ws (raw, client)': version(path.join(BENCH, 'node_modules/ws')),
      'ws (wsgate)': version(path.join(ROOT, 'node_modules/ws')),
      tsyringe: version(path.join(ROOT, 'node_modules/tsyringe')),
      '@nestjs/core': version(path.join(BENCH, 'node_modules/@nestjs/core')),
      '@nestjs/platform-ws': version(path.join(BENCH, 'node_modules/@nestjs/platform-ws')),
      'ws (NestJS platform-ws)': version(path.join(BENCH, 'node_modules/@nestjs/platform-ws/node_modules/ws')) ?? version(path.join(BENCH, 'node_modules/ws')),
      'socket.io': version(path.join(BENCH, 'node_modules/socket.io')),
      'socket.io-client': version(path.join(BENCH, 'node_modules/socket.io-client')),
      zod: version(path.join(ROOT, 'node_modules/zod')),
    },
  };
}

/** Foreign CPU (other processes on the machine, in cores) above which a measurement is repeated. */
const NOISE_LIMIT = 0.1;
/** Retries are spent only while the whole run is projected to stay under this (the 10-minute goal). */
const TIME_BUDGET_S = QUICK ? 180 : 540;
const clock = { started: Date.now(), done: 0, total: 0, spent: 0, retries: 0, quietBudgetMs: QUICK ? 20000 : 60000 };

async function measureOnce(server, bench) {
  const timeoutMs = 20000 + (bench.options.warmupMs ?? 0) + (bench.options.measureMs ?? 0) + (bench.mode === 'fanout' ? 60000 : 0) + (bench.mode === 'memory' ? 60000 : 0) + (bench.mode === 'handshake-ab' ? 150000 : 0);
  const waitMs = Math.max(0, Math.min(10000, clock.quietBudgetMs));
  const waitStart = Date.now();
  const quiet = await waitQuiet({ maxMs: waitMs });
  clock.quietBudgetMs -= Date.now() - waitStart;
  const s = await startServer(server);
  const noise = account(s.child.pid);
  try {
    const result = await runClient({ mode: bench.mode, port: s.port, control: s.control, path: bench.path ?? '/echo', ...bench.options, ...bench.clientOptions?.(server) }, { timeoutMs });
    result.foreignCores = noise.finish(result.clientCpuS)?.foreignCores;
    result.busyBefore = quiet;
    return result;
  } finally {
    const ended = await stopServer(s);
    if (ended.code !== 0 && ended.code !== null) process.stderr.write(`bench: server ${server} exited with ${ended.code}:\n${s.child.stderrText.slice(-2000)}\n`);
  }
}

/** Measures once, and again (keeping the quietest) while other processes disturbed it and time allows. */
async function measure(server, bench) {
  const t0 = Date.now();
  let best;
  for (let attempt = 1; ; attempt++) {
    const started = Date.now();
    const result = await measureOnce(server, bench);
    result.attempts = attempt;
    if (!best || (result.foreignCores ?? 0) < (best.foreignCores ?? 0)) best = { ...result };
    best.attempts = attempt;
    if (!((result.foreignCores ?? 0) > (bench.noiseLimit ?? NOISE_LIMIT))) break;
    const elapsed = (Date.now() - clock.started) / 1000;
    const perMeasurement = clock.done ? clock.spent / clock.done : (Date.now() - started) / 1000;
    const projected = elapsed + perMeasurement * (clock.total - clock.done) + (Date.now() - started) / 1000;
    if (attempt >= 3 || projected > TIME_BUDGET_S) break;
    clock.retries++;
    process.stderr.write(`bench: ${bench.id} ${server}: other processes used ${result.foreignCores.toFixed(2)} CPU during the measurement; measuring again\n`);
  }
  clock.done++;
  clock.spent += (Date.now() - t0) / 1000;
  return best;
}

function fmt(x) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3);
}

/** --rerender: writes latest.md and latest.svg again from latest.json (after a change to the report). */
function rerender() {
  const saved = JSON.parse(fs.readFileSync(path.join(OUT, 'latest.json'), 'utf8'));
  const benches = BENCHMARKS.filter((b) => saved.results[b.id]).map((b) => ({ ...b, servers: b.servers.filter((s) => saved.results[b.id][s]) }));
  const retries = Object.values(saved.results).flatMap((x) => Object.values(x).flat()).filter(Boolean).reduce((n, r) => n + (r.attempts ?? 1) - 1, 0);
  writeReport({ outDir: OUT, benches, results: saved.results, errors: saved.errors, info: saved.info, reps: saved.reps, quick: saved.quick, seconds: saved.seconds, noise: { limit: NOISE_LIMIT, retries } });
}

async function main() {
  installCleanup();
  if (flag('--rerender')) return rerender();
  const started = Date.now();
  if (!flag('--no-build')) build({ wsgate: FAMILIES.has('wsgate') });
  const benches = BENCHMARKS.filter((b) => (ONLY ? ONLY.includes(b.id) : !b.optIn)).map((b) => ({
    ...b,
    servers: [
      ...b.servers.filter((s) => FAMILIES.has(family(s)) && (s !== 'wsgate-hub' || hubExported())),
      // --with raw-json-corked: an experimental server, in every benchmark its base server is in.
      ...WITH.filter((extra) => b.servers.some((s) => extra.startsWith(s))),
    ],
  }));
  const info = machine();
  process.stderr.write(`bench: ${QUICK ? 'quick' : 'full'} run, ${REPS} repetition(s); ${info.nproc} CPUs (${info.cpu}), Node ${info.node}; pinning: ${info.pinning}\n`);

  clock.total = REPS * benches.reduce((n, b) => n + b.servers.length, 0);
  // results[benchId][server] = [result of rep 0, rep 1, …] (undefined where it failed)
  const results = {};
  const errors = [];
  for (let rep = 0; rep < REPS; rep++) {
    for (const bench of benches) {
      const order = rep % 2 === 0 ? bench.servers : [...bench.servers].reverse();
      for (const server of order) {
        const t0 = Date.now();
        let result;
        try {
          result = await measure(server, bench);
        } catch (err) {
          errors.push({ rep, bench: bench.id, server, error: String(err && err.message ? err.message : err) });
          process.stderr.write(`bench: rep ${rep + 1} ${bench.id} ${server}: FAILED ${err && err.message ? err.message : err}\n`);
        }
        ((results[bench.id] ??= {})[server] ??= [])[rep] = result;
        if (result) {
          const summary = bench.metrics.map((m) => `${m.label} ${fmt(result[m.key])}`).join(', ');
          const disturbed = result.foreignCores > 0.02 ? `, other processes ${result.foreignCores.toFixed(2)} CPU` : '';
          const attempts = result.attempts > 1 ? `, ${result.attempts} attempts` : '';
          process.stderr.write(`bench: rep ${rep + 1}/${REPS} ${bench.id} ${server}: ${summary} (${((Date.now() - t0) / 1000).toFixed(1)} s${attempts}${disturbed})\n`);
        }
      }
    }
  }
  const seconds = (Date.now() - started) / 1000;
  const report = writeReport({ outDir: OUT, benches, results, errors, info, reps: REPS, quick: QUICK, seconds, noise: { limit: NOISE_LIMIT, retries: clock.retries } });
  process.stdout.write(report.markdown);
  process.stderr.write(`bench: wrote ${path.relative(process.cwd(), report.files.md)}, ${path.relative(process.cwd(), report.files.svg)} and ${path.relative(process.cwd(), report.files.json)} in ${seconds.toFixed(0)} s\n`);
  if (errors.length) {
    process.stderr.write(`bench: ${errors.length} measurement(s) failed\n`);
    process.exitCode = 1;
  }
}

main().catch((err) => {
  process.stderr.write(`bench: ${err && err.stack ? err.stack : err}\n`);
  process.exitCode = 1;
});
