#!/usr/bin/env node
'use strict';
/**
 * Profiles one bench server under load: `node bench/profile.js [server] [--mode throughput] [--bearer] [--interval µs] [--no-build] [--top N]`
 * (default server wsgate-json; the request/reply servers: `wsgate-rtt --mode rtt`). Runs the server with `node --cpu-prof` (pinned to CPU 0) while
 * the load client (CPU 1) runs the chosen benchmark, then prints the functions with the most
 * self time (% of non-idle samples), those of wsgate (dist/src, mapped back to src/*.ts through
 * the source maps) with self and inclusive time, and the time per package. The .cpuprofile and
 * the summary are kept in bench/results/profiles/ (not committed).
 */
const fs = require('node:fs');
const path = require('node:path');
const { BENCH, ROOT, startServer, stopServer, runClient, installCleanup } = require('./lib/procs');
const { build } = require('./lib/build');
const { parseArgs } = require('./lib/args');

const { flag, option, positional } = parseArgs(process.argv.slice(2), ['--mode', '--top', '--interval']);
const server = positional ?? 'wsgate-json';
const mode = option('--mode', 'throughput');
const top = Number(option('--top', 25));
const dir = path.join(BENCH, 'results/profiles');

const MODES = {
  throughput: { warmupMs: 2000, measureMs: 8000 },
  latency: { warmupMs: 1000, measureMs: 5000 },
  handshakes: { count: 4000, concurrency: 50 },
  binary: { warmupMs: 1000, measureMs: 5000, inflight: 4 },
  memory: { count: 5000, concurrency: 100 },
  fanout: { count: 5000, rounds: 40, warmupRounds: 3 },
  // contract-rtt: request/reply to the *-rtt servers, in the wire format of the server's family.
  rtt: { warmupMs: 2000, measureMs: 8000, conns: 4, inflight: 64, path: '/rtt', flavour: server.split('-')[0] },
};

// --- source maps (dist/src/*.js → src/*.ts) --------------------------------------------------

const B64 = Object.fromEntries([...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].map((c, i) => [c, i]));

function decodeVlq(segment) {
  const out = [];
  let value = 0;
  let shift = 0;
  for (const ch of segment) {
    const digit = B64[ch];
    value += (digit & 31) << shift;
    if (digit & 32) shift += 5;
    else {
      out.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return out;
}

const maps = new Map();
/** Original `file:line` of a generated 0-based line in a compiled file, when it has a source map. */
function original(file, line) {
  if (!maps.has(file)) {
    let lines;
    try {
      const map = JSON.parse(fs.readFileSync(`${file}.map`, 'utf8'));
      let src = 0;
      let srcLine = 0;
      lines = map.mappings.split(';').map((group) => {
        let first;
        for (const seg of group.split(',').filter(Boolean)) {
          const v = decodeVlq(seg);
          if (v.length >= 4) {
            src += v[1];
            srcLine += v[2];
            first ??= [src, srcLine];
          }
        }
        return first && { source: path.resolve(path.dirname(file), map.sourceRoot || '', map.sources[first[0]]), line: first[1] };
      });
    } catch {
      lines = null;
    }
    maps.set(file, lines);
  }
  const lines = maps.get(file);
  // The nearest mapped line at or above (a function's first line may itself be unmapped).
  for (let l = line; lines && l >= 0; l--) if (lines[l]) return `${path.relative(ROOT, lines[l].source)}:${lines[l].line + 1}`;
  return undefined;
}

// --- the profile -----------------------------------------------------------------------------

function category(url, name) {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(program)') return '(program: native, not attributed)';
  if (url.includes('/dist/src/')) return 'wsgate (dist/src)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('/bench/build/')) return 'bench server';
  return url ? url : '(native / builtins)';
}

function analyze(profile) {
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const counts = new Map();
  for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  const frame = (n) => {
    const { functionName, url, lineNumber } = n.callFrame;
    const file = url.startsWith('file://') ? new URL(url).pathname : url;
    const src = file.includes('/dist/src/') ? original(file, lineNumber) : undefined;
    const where = src ?? (file ? `${file.replace(ROOT + '/', '')}:${lineNumber + 1}` : '');
    return { key: `${functionName || '(anonymous)'} ${where}`, name: functionName || '(anonymous)', where, cat: category(file, functionName) };
  };
  const frames = new Map(profile.nodes.map((n) => [n.id, frame(n)]));
  let total = 0;
  const self = new Map();
  const inclusive = new Map();
  const cats = new Map();
  for (const [id, count] of counts) {
    const f = frames.get(id);
    if (f.name === '(idle)') continue;
    total += count;
    self.set(f.key, { ...f, n: (self.get(f.key)?.n ?? 0) + count });
    cats.set(f.cat, (cats.get(f.cat) ?? 0) + count);
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const g = frames.get(cur);
      if (seen.has(g.key)) continue;
      seen.add(g.key);
      inclusive.set(g.key, { ...g, n: (inclusive.get(g.key)?.n ?? 0) + count });
    }
  }
  return { total, self, inclusive, cats };
}

function report({ total, self, inclusive, cats }, header) {
  const pct = (n) => `${((100 * n) / total).toFixed(1)}%`;
  const out = [header, '', `${total} non-idle samples.`, '', `## Top ${top} functions by self time`, '', '| self | function | where | package |', '|--:|---|---|---|'];
  for (const f of [...self.values()].sort((a, b) => b.n - a.n).slice(0, top)) out.push(`| ${pct(f.n)} | ${f.name} | ${f.where} | ${f.cat} |`);
  out.push('', '## wsgate functions (dist/src → src)', '', '| self | inclusive | function | where |', '|--:|--:|---|---|');
  const ours = [...inclusive.values()].filter((f) => f.cat === 'wsgate (dist/src)').sort((a, b) => (self.get(b.key)?.n ?? 0) - (self.get(a.key)?.n ?? 0) || b.n - a.n);
  for (const f of ours.slice(0, top)) out.push(`| ${pct(self.get(f.key)?.n ?? 0)} | ${pct(f.n)} | ${f.name} | ${f.where} |`);
  out.push('', '## Self time by package', '', '| self | package |', '|--:|---|');
  for (const [cat, n] of [...cats].sort((a, b) => b[1] - a[1])) out.push(`| ${pct(n)} | ${cat} |`);
  return out.join('\n') + '\n';
}

async function main() {
  installCleanup();
  if (!flag('--no-build')) build({ wsgate: server.startsWith('wsgate') });
  fs.mkdirSync(dir, { recursive: true });
  const name = `${server}-${mode}.cpuprofile`;
  const file = path.join(dir, name);
  fs.rmSync(file, { force: true });
  const interval = option('--interval'); // sampling interval in µs (Node's default: 1000)
  const s = await startServer(server, { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', name, ...(interval ? ['--cpu-prof-interval', interval] : [])] });
  let result;
  try {
    // --bearer: every handshake carries Authorization: Bearer <HMAC token> (the wsgate-hmac server checks it).
    const bearer = flag('--bearer') ? { bearer: true } : {};
    result = await runClient({ mode, port: s.port, control: s.control, path: '/echo', ...MODES[mode], ...bearer }, { timeoutMs: 120000 });
  } finally {
    await stopServer(s, 15000);
  }
  if (!fs.existsSync(file)) throw new Error(`no profile written at ${file}`);
  const header = `# CPU profile: ${server} under ${mode}\n\n${new Date().toISOString()} · Node ${process.version} · client result: \`${JSON.stringify(result)}\``;
  const text = report(analyze(JSON.parse(fs.readFileSync(file, 'utf8'))), header);
  fs.writeFileSync(path.join(dir, `${server}-${mode}.md`), text);
  process.stdout.write(text);
  process.stderr.write(`profile: ${path.relative(process.cwd(), file)} (open it in Chrome DevTools › Performance, or VS Code)\n`);
}

main().catch((err) => {
  process.stderr.write(`profile: ${err && err.stack ? err.stack : err}\n`);
  process.exitCode = 1;
});
