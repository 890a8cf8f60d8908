'use strict';
/**
 * Child processes of the bench: servers and load clients, each pinned to its own CPU with taskset
 * when it is available, with the open-files limit raised to the hard limit, each in its own
 * process group so that everything it started can be killed, and all of them killed when the
 * runner exits, however it exits.
 */
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const BENCH = path.resolve(__dirname, '..');
const ROOT = path.resolve(BENCH, '..');
const BUILD = path.join(BENCH, 'build');

/** Server name → compiled script and its arguments. */
const SERVERS = {
  'raw-text': ['servers/raw-text.js'],
  'raw-json': ['servers/raw-json.js'],
  'raw-json-corked': ['servers/raw-json-corked.js'],
  'raw-fanout': ['servers/raw-fanout.js'],
  'wsgate-text': ['servers/wsgate-text.js'],
  'wsgate-json': ['servers/wsgate-json.js'],
  'wsgate-fanout': ['servers/wsgate-fanout.js'],
  'wsgate-noguard': ['servers/wsgate-guard.js', 'none'],
  'wsgate-passguard': ['servers/wsgate-guard.js', 'pass'],
  'wsgate-hmac': ['servers/wsgate-guard.js', 'hmac'],
  'wsgate-guards': ['servers/wsgate-guard.js', 'all'],
  'wsgate-guards-split': ['servers/wsgate-guard.js', 'split'],
  'wsgate-hub': ['servers/wsgate-fanout.js', 'hub'],
  'nest-json': ['servers/nest-json.js'],
  'raw-rtt': ['servers/raw-rtt.js'],
  'raw-rtt-corked': ['servers/raw-rtt.js', 'corked'],
  'raw-rtt-first-uncorked': ['servers/raw-rtt.js', 'first-uncorked'],
  'wsgate-rtt': ['servers/wsgate-rtt.js'],
  'nest-rtt': ['servers/nest-rtt.js'],
  'socketio-rtt': ['servers/socketio-rtt.js'],
};

const children = new Set();

function killAll(signal = 'SIGKILL') {
  for (const child of children) {
    try {
      process.kill(-child.pid, signal);
    } catch {
      /* already gone */
    }
  }
}

let installed = false;
function installCleanup() {
  if (installed) return;
  installed = true;
  process.on('exit', () => killAll('SIGKILL'));
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      process.stderr.write(`\nbench: ${sig}, stopping every child process\n`);
      killAll('SIGKILL');
      process.exit(130);
    });
  }
  process.on('uncaughtException', (err) => {
    process.stderr.write(`bench: ${err && err.stack ? err.stack : err}\n`);
    killAll('SIGKILL');
    process.exit(1);
  });
}

/** Whether `taskset` can pin to CPUs 0 and 1 here. */
function pinning() {
  if (os.availableParallelism() < 2) return false;
  const r = spawnSync('taskset', ['-c', '1', 'true'], { stdio: 'ignore' });
  return r.status === 0;
}
const PIN = pinning();

/**
 * Spawns `node args…` pinned to `cpu` (when taskset works) through `sh`, which raises the soft
 * open-files limit to the hard one (thousands of sockets) and then execs, so the pid is node's.
 */
function spawnNode(cpu, args, { cwd = BUILD, env = {} } = {}) {
  installCleanup();
  const argv = [...(PIN && cpu !== undefined ? ['taskset', '-c', String(cpu)] : []), process.execPath, ...args];
  const child = spawn('sh', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'sh', ...argv], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  children.add(child);
  child.exited = new Promise((resolve) =>
    child.once('close', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  child.stderrText = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    if (child.stderrText.length < 20000) child.stderrText += chunk;
  });
  child.stdin.on('error', () => undefined);
  return child;
}

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* gone */
  }
}

const timeout = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref());

/**
 * Starts a bench server on CPU 0 and waits for its `CONTROL <port>` and `LISTENING <port>` lines.
 * `nodeArgs` go before the script (e.g. --cpu-prof).
 */
async function startServer(name, { cpu = 0, nodeArgs = [], startTimeoutMs = 30000 } = {}) {
  const spec = SERVERS[name];
  if (!spec) throw new Error(`unknown server ${name}`);
  const [script, ...args] = spec;
  if (!fs.existsSync(path.join(BUILD, script))) throw new Error(`${script} is not built (bench/build): run the bench's tsc`);
  const child = spawnNode(cpu, ['--expose-gc', ...nodeArgs, script, ...args], { env: { BENCH_WATCH_STDIN: '1' } });
  child.stdout.setEncoding('utf8');
  let out = '';
  const ready = new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const port = /^LISTENING (\d+)$/m.exec(out);
      const control = /^CONTROL (\d+)$/m.exec(out);
      if (port && control) resolve({ port: Number(port[1]), control: Number(control[1]) });
    });
    child.exited.then(({ code, signal }) =>
      reject(new Error(`server ${name} exited (${signal || code}) before listening:\n${child.stderrText.slice(-3000)}`)),
    );
  });
  const late = timeout(startTimeoutMs).then(() => {
    throw new Error(`server ${name} did not print LISTENING within ${startTimeoutMs} ms`);
  });
  try {
    const ports = await Promise.race([ready, late]);
    return { name, child, ...ports };
  } catch (err) {
    await stopServer({ name, child });
    throw err;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`. Resolves with how it ended. */
async function stopServer(server, graceMs = 5000) {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return child.exited;
  killGroup(child, 'SIGTERM');
  const ended = await Promise.race([child.exited, timeout(graceMs).then(() => null)]);
  if (ended) return ended;
  killGroup(child, 'SIGKILL');
  return child.exited;
}

/** Runs the load client on CPU 1 and returns its RESULT object. */
async function runClient(options, { cpu = 1, timeoutMs = 120000 } = {}) {
  const child = spawnNode(cpu, ['client.js', JSON.stringify({ ...options, deadlineMs: timeoutMs - 5000 })]);
  child.stdout.setEncoding('utf8');
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  const killer = setTimeout(() => killGroup(child, 'SIGKILL'), timeoutMs);
  const { code, signal } = await child.exited;
  clearTimeout(killer);
  const line = /^RESULT (.*)$/m.exec(out);
  if (code !== 0 || !line) {
    throw new Error(`client ${options.mode} failed (${signal || code}):\n${child.stderrText.slice(-3000)}`);
  }
  return JSON.parse(line[1]);
}

/** Runs a build command with its output on our stderr; throws when it fails. */
function runStep(label, cmd, args, cwd) {
  process.stderr.write(`bench: ${label}: ${cmd} ${args.join(' ')} (in ${path.relative(ROOT, cwd) || '.'})\n`);
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 2, 2] });
  if (r.status !== 0) throw new Error(`${label} failed (${r.signal || r.status})`);
}

module.exports = { BENCH, ROOT, BUILD, SERVERS, PIN, spawnNode, startServer, stopServer, runClient, runStep, killAll, installCleanup };
