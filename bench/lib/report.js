'use strict';
/**
 * Medians, per-repetition ratios to raw ws, and the three outputs: latest.md (tables),
 * latest.svg (a hand-written bar chart of the ratios) and latest.json (every raw number).
 */
const fs = require('node:fs');
const path = require('node:path');

const FAMILY_NAMES = { raw: 'raw ws', wsgate: 'wsgate', nest: 'NestJS', socketio: 'socket.io' };
/** Families with a column of their own (not compared in the wsgate column). */
const OTHERS = ['nest', 'socketio'];
const family = (server) => server.split('-')[0];

function median(xs) {
  const s = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const finite = (x) => typeof x === 'number' && Number.isFinite(x);

function num(x, digits) {
  if (!finite(x)) return '—';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

const ratioText = (r) => (finite(r) ? r.toFixed(2) : '—');

/** One row per (benchmark, metric, compared server): medians and ratios. */
function computeRows(benches, results) {
  const rows = [];
  for (const bench of benches) {
    // `baseline`: a benchmark that compares wsgate with itself (e.g. with and without a guard).
    const baseline = bench.baseline ?? bench.servers.find((s) => family(s) === 'raw');
    const byServer = results[bench.id] ?? {};
    // Compared with raw ws in the wsgate column: wsgate's servers, then any extra (--with) server.
    const wsgateServers = [
      ...bench.servers.filter((s) => s !== baseline && family(s) === 'wsgate'),
      ...bench.servers.filter((s) => s !== baseline && family(s) !== 'wsgate' && !OTHERS.includes(family(s))),
    ];
    const nest = bench.servers.find((s) => family(s) === 'nest');
    const socketio = bench.servers.find((s) => family(s) === 'socketio');
    for (const metric of bench.metrics) {
      const values = (server) => (byServer[server] ?? []).map((r) => (r ? r[metric.key] : undefined));
      const ratios = (server) => {
        const base = values(baseline);
        return values(server)
          .map((v, rep) => (finite(v) && finite(base[rep]) && base[rep] !== 0 ? v / base[rep] : undefined))
          .filter(finite);
      };
      const describe = (server) =>
        server && {
          server,
          median: median(values(server)),
          ratio: median(ratios(server)),
          ratios: ratios(server),
          values: values(server),
        };
      const targets = wsgateServers.length ? wsgateServers : [undefined];
      targets.forEach((ws, i) => {
        const w = describe(ws);
        let pass;
        // `budgetOn: 'value'`: the metric is itself a ratio (measured inside one server), held to the budget.
        const judged = metric.budgetOn === 'value' ? w?.median : w?.ratio;
        if (w && finite(judged) && metric.budget !== undefined) {
          pass = metric.better === 'higher' ? judged >= metric.budget : judged <= metric.budget;
        }
        rows.push({
          bench,
          metric,
          variant:
            ws === 'wsgate-hub' ? 'Hub.publish'
            : ws === 'wsgate-fanout' ? 'writeMessage loop'
            : ws && family(ws) !== 'wsgate' ? `${ws} instead of wsgate`
            : bench.baseline ? `${ws}, as a ratio to ${bench.baseline}`
            : undefined,
          raw: describe(baseline),
          wsgate: w,
          nest: i === 0 ? describe(nest) : undefined,
          socketio: i === 0 ? describe(socketio) : undefined,
          pass,
        });
      });
    }
  }
  return rows;
}

function spread(ratios) {
  if (ratios.length < 2) return '';
  return ` <sub>${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}</sub>`;
}

function budgetText(row) {
  const { metric } = row;
  if (metric.budget === undefined) return '';
  const sign = metric.better === 'higher' ? '≥' : '≤';
  const mark = row.pass === undefined ? '' : row.pass ? ' ✅' : ' ❌';
  return `${sign} ${metric.budget.toFixed(2)}${mark}`;
}

function markdown({ rows, benches, results, errors, info, reps, quick, seconds, noise }) {
  const out = [];
  out.push('# wsgate benchmark results', '');
  out.push(`${quick ? 'Quick run' : 'Full run'} (\`node bench/run.js${quick ? ' --quick' : ''}\`), ${reps} repetition${reps > 1 ? 's' : ''}, total ${Math.round(seconds)} s.`, '');
  out.push('| machine | |', '|---|---|');
  out.push(`| date | ${info.date} |`);
  out.push(`| CPUs (\`nproc\`) | ${info.nproc} |`);
  out.push(`| CPU model | ${info.cpu} |`);
  out.push(`| memory | ${info.memory} |`);
  out.push(`| OS | ${info.os} |`);
  out.push(`| Node | ${info.node} |`);
  out.push(`| pinning | ${info.pinning} |`);
  out.push(`| wsgate commit | ${info.commit} |`);
  out.push(`| versions | ${Object.entries(info.versions).map(([k, v]) => `${k} ${v ?? '?'}`).join(', ')} |`);
  out.push('');
  out.push(
    'Each cell is the median over repetitions. A ratio is the server\'s value divided by raw ws\'s value **in the same',
    'repetition**, median over repetitions (small: min–max across repetitions). "better" says which direction is good;',
    'the budget is issue #8\'s, for wsgate ÷ raw ws. Every server runs in a fresh process per measurement, servers',
    'interleaved (A B C, C B A, …).',
    '',
  );
  // socket.io columns only when a benchmark of this run has a socket.io server (contract-rtt).
  const withSocketio = rows.some((row) => row.socketio);
  // A run of benchmarks with their own baseline (handshake-guard) names the column after it.
  const base = benches.some((b) => b.baseline) ? 'baseline' : 'raw ws';
  out.push(`| benchmark | metric | better | ${base} | wsgate | wsgate ÷ ${base === 'raw ws' ? 'raw' : base} | budget | NestJS | NestJS ÷ raw |${withSocketio ? ' socket.io | socket.io ÷ raw |' : ''}`);
  out.push(`|---|---|---|--:|--:|--:|---|--:|--:|${withSocketio ? '--:|--:|' : ''}`);
  for (const row of rows) {
    const { bench, metric } = row;
    const title = row.variant ? `${bench.title} — wsgate: ${row.variant}` : bench.title;
    out.push(
      [
        '',
        title,
        metric.label,
        metric.better,
        num(row.raw?.median, metric.digits),
        num(row.wsgate?.median, metric.digits),
        row.wsgate ? `**${ratioText(row.wsgate.ratio)}**${spread(row.wsgate.ratios)}` : '—',
        budgetText(row),
        num(row.nest?.median, metric.digits),
        row.nest ? `${ratioText(row.nest.ratio)}${spread(row.nest.ratios)}` : '',
        ...(withSocketio ? [num(row.socketio?.median, metric.digits), row.socketio ? `${ratioText(row.socketio.ratio)}${spread(row.socketio.ratios)}` : ''] : []),
        '',
      ].join(' | ').trim(),
    );
  }
  out.push('');
  out.push('![ratios to raw ws](latest.svg)', '');

  out.push('## Per-repetition values', '');
  if (noise) {
    const all = Object.values(results).flatMap((byServer) => Object.values(byServer).flat()).filter(Boolean);
    const noisy = benches
      .flatMap((b) => Object.values(results[b.id] ?? {}).flat().filter(Boolean).map((r) => r.foreignCores > (b.noiseLimit ?? noise.limit)))
      .filter(Boolean).length;
    const worst = Math.max(0, ...all.map((r) => r.foreignCores ?? 0));
    out.push(
      `Values in repetition order. Each measurement waits for a quiet machine and is charged with the CPU other processes`,
      `used during it; above ${noise.limit} CPU (fan-out: 0.3, as its 5,000 sockets keep kernel threads busy; memory: never) it is measured again (at most 3 attempts, while the run stays within its time`,
      `budget) and the quietest attempt is kept. This run: ${noise.retries} repeated, ${noisy} still above the limit (†),`,
      `worst ${worst.toFixed(2)} CPU.`,
      '',
    );
  }
  for (const bench of benches) {
    const servers = bench.servers;
    out.push(`**${bench.title}** (\`${bench.id}\`)`, '');
    out.push(`| server | ${bench.metrics.map((m) => m.label).join(' | ')} |`);
    out.push(`|---|${bench.metrics.map(() => '--:').join('|')}|`);
    for (const server of servers) {
      const reps = results[bench.id]?.[server] ?? [];
      const mark = (r) => (noise && r.foreignCores > (bench.noiseLimit ?? noise.limit) ? '†' : '');
      const cells = bench.metrics.map((m) => reps.map((r) => (r ? num(r[m.key], m.digits) + mark(r) : 'failed')).join(' · '));
      out.push(`| ${server} | ${cells.join(' | ')} |`);
    }
    out.push('');
  }

  out.push('## What is measured', '');
  out.push(
    '- **Servers** (bench/src/servers): raw ws text echo (`ws.send(data, { binary: isBinary })`) and JSON echo',
    '  (`JSON.stringify(JSON.parse(text))`); wsgate text and JSON echo as `@Gateway` classes whose `@OnMessage`',
    '  returns the reply through a per-connection `@scoped(Lifecycle.ContainerScoped)` service injected next to',
    '  `Connection`; NestJS 11 `@WebSocketGateway` on `@nestjs/platform-ws` with `@SubscribeMessage(\'echo\')`',
    '  returning `{ event, data }`. Each is started the way its users start it (`new WebSocketServer({ port })`,',
    '  `app.listen()`, `NestFactory.create()` + `WsAdapter`); CPU and memory are read from a separate control port.',
    '- **Client** (bench/src/client.ts, `ws` client, one process): throughput = 50 connections × 16 messages in',
    '  flight, 64-byte JSON, closed loop, warm-up then a measured window; server CPU = `process.cpuUsage()` (user +',
    '  system) of the server over the window ÷ messages. Latency = 1 connection, 1 message at a time. Handshakes =',
    '  open + close (client-initiated close handshake), concurrency 50, after 200 warm-up ones. Memory = RSS and',
    '  heapUsed of the server with 10,000 idle connections minus before them, ÷ 10,000, both read once the server',
    '  has been idle 6 s (then a forced GC; budget from issue 13); the burst row is RSS 1 s after the last one opened.',
    '  Binary = 1 MiB binary messages, 4 in flight on one connection, MiB/s echoed. Fan-out = 5,000 connections,',
    '  publish triggered by GET /publish on the control port: raw = `ws.send(buffer)` loop (payload encoded',
    '  once), wsgate = `conn.writeMessage(text)` loop, and one `hub.publish` to a topic every connection subscribed to;',
    '  "until flushed" = until every write\'s callback/promise, "until all received" = seen by the client.',
    '- **Request/reply** (`contract-rtt`): an `add` request `{ a, b, note }` answered `{ sum, note }`, the request',
    '  validated by the same zod schema everywhere. raw ws by hand (JSON.parse, switch on `type`, `safeParse`,',
    '  `JSON.stringify({ id, data })`); wsgate: a contract gateway (`@OnMessage(contract, \'add\')` returning the',
    '  reply); NestJS: `@SubscribeMessage(\'add\')` with `safeParse` inside, returning `{ event, data }` (no ids:',
    '  replies matched in order); socket.io: `emitWithAck` / ack callback, WebSocket transport only. 4 connections',
    '  × 64 requests in flight, closed loop; every reply is parsed and checked by the client.',
    '',
  );
  if (benches.some((b) => b.id.startsWith('handshake-guard'))) {
    out.push(
      '- **Guards** (`handshake-guard`, `handshake-guard-split`, `handshake-guard-procs`, see README.md): a text echo gateway without',
      '  guards, with a pass-through guard and with one HMAC bearer-token guard (`createHmac(\'sha256\')`, `timingSafeEqual`), every',
      '  request sending `Authorization: Bearer <token>`; in one process (60 rounds of batches to each in turn, CPU over all batches ÷',
      '  no guard\'s; `-split` adds the HMAC guard without its HMAC) and in one process each (ratios to `wsgate-noguard`).',
      '',
    );
  }
  if (errors.length) {
    out.push('## Failed measurements', '');
    for (const e of errors) out.push(`- rep ${e.rep + 1}, ${e.bench}, ${e.server}: ${e.error.split('\n')[0]}`);
    out.push('');
  }
  return out.join('\n');
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A horizontal bar chart of wsgate ÷ raw ws and NestJS ÷ raw ws, one group per metric. */
function svg({ rows, info, reps, quick }) {
  const chartRows = rows.filter((r) => r.wsgate && finite(r.wsgate.ratio));
  const labelW = 360;
  const chartW = 430;
  const left = 20;
  const top = 92;
  const rowH = chartRows.some((r) => r.socketio && finite(r.socketio.ratio)) ? 52 : 38;
  const barH = 13;
  const width = left + labelW + chartW + 70;
  const height = top + chartRows.length * rowH + 40;
  const maxRatio = Math.max(1.5, ...chartRows.flatMap((r) => [r.wsgate.ratio, r.nest?.ratio ?? 0, r.socketio?.ratio ?? 0]).filter(finite));
  const xMax = Math.min(4, Math.ceil(maxRatio * 4) / 4);
  const x = (v) => left + labelW + (Math.min(v, xMax) / xMax) * chartW;
  const colors = { pass: '#2e7d32', fail: '#c62828', none: '#1565c0', nest: '#9e9e9e', socketio: '#6d4c41' };
  const withSocketio = chartRows.some((r) => r.socketio && finite(r.socketio.ratio));
  const parts = [];
  parts.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  parts.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  const baselined = chartRows.find((r) => r.bench.baseline)?.bench.baseline;
  const heading = baselined
    ? `wsgate with a guard, as a ratio to ${baselined} (1.00 = no guard)`
    : `wsgate and NestJS platform-ws${withSocketio ? ' (and socket.io)' : ''}, as a ratio to raw ws (1.00 = raw ws)`;
  parts.push(`<text x="${left}" y="24" font-size="16" font-weight="bold">${esc(heading)}</text>`);
  parts.push(
    `<text x="${left}" y="44" fill="#444">${esc(`${quick ? 'quick run' : 'full run'}, median of ${reps} per-repetition ratio${reps > 1 ? 's' : ''} · ${info.date.slice(0, 10)} · ${info.nproc} CPUs, ${info.cpu} · Node ${info.node}`)}</text>`,
  );
  // legend
  const legend = [
    ['wsgate, within budget', colors.pass],
    ['wsgate, over budget', colors.fail],
    ['wsgate, no budget', colors.none],
    ['NestJS', colors.nest],
    ...(withSocketio ? [['socket.io', colors.socketio]] : []),
  ];
  legend.forEach(([text, color], i) => {
    const lx = left + i * (withSocketio ? 140 : 175);
    parts.push(`<rect x="${lx}" y="56" width="12" height="12" fill="${color}"/><text x="${lx + 17}" y="66">${esc(text)}</text>`);
  });
  parts.push(`<text x="${left + labelW + chartW + 4}" y="66" fill="#c62828">| budget</text>`);
  // row backgrounds, then the grid over them, then the bars
  chartRows.forEach((row, i) => {
    const y = top + i * rowH;
    if (i % 2 === 0) parts.push(`<rect x="${left - 6}" y="${y - 4}" width="${labelW + chartW + 12}" height="${rowH}" fill="#f6f8fa"/>`);
  });
  for (let v = 0; v <= xMax + 1e-9; v += 0.25) {
    const gx = x(v);
    const major = Math.abs(v - Math.round(v * 2) / 2) < 1e-9;
    parts.push(`<line x1="${gx}" y1="${top - 8}" x2="${gx}" y2="${top + chartRows.length * rowH}" stroke="${v === 1 ? '#000' : '#e0e0e0'}" stroke-width="${v === 1 ? 1.5 : 1}"${v === 1 ? ' stroke-dasharray="4 3"' : ''}/>`);
    if (major) parts.push(`<text x="${gx}" y="${top + chartRows.length * rowH + 16}" text-anchor="middle" fill="#444">${v.toFixed(1)}×</text>`);
  }
  chartRows.forEach((row, i) => {
    const y = top + i * rowH;
    const title = row.variant ? `${row.bench.id} (${row.variant})` : row.bench.id;
    parts.push(`<text x="${left}" y="${y + 12}" font-weight="bold">${esc(title)}</text>`);
    parts.push(`<text x="${left}" y="${y + 27}" fill="#444">${esc(`${row.metric.label} (${row.metric.better} is better)`)}</text>`);
    const bars = [[row.wsgate.ratio, row.pass === undefined ? colors.none : row.pass ? colors.pass : colors.fail]];
    if (row.nest && finite(row.nest.ratio)) bars.push([row.nest.ratio, colors.nest]);
    if (row.socketio && finite(row.socketio.ratio)) bars.push([row.socketio.ratio, colors.socketio]);
    bars.forEach(([ratio, color], j) => {
      const by = y + j * (barH + 2);
      const x0 = x(0);
      parts.push(`<rect x="${x0}" y="${by}" width="${Math.max(1, x(ratio) - x0)}" height="${barH}" fill="${color}"/>`);
      const clipped = ratio > xMax ? ' ›' : '';
      parts.push(`<text x="${x(ratio) + 4}" y="${by + 11}" fill="#222" stroke="#fff" stroke-width="3" paint-order="stroke">${ratio.toFixed(2)}×${clipped}</text>`);
    });
    if (row.metric.budget !== undefined) {
      const bx = x(row.metric.budget);
      parts.push(`<line x1="${bx}" y1="${y - 2}" x2="${bx}" y2="${y + barH + 2}" stroke="#c62828" stroke-width="2"/>`);
    }
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

function writeReport({ outDir, benches, results, errors, info, reps, quick, seconds, noise }) {
  fs.mkdirSync(outDir, { recursive: true });
  const rows = computeRows(benches, results);
  const md = markdown({ rows, benches, results, errors, info, reps, quick, seconds, noise });
  const files = {
    md: path.join(outDir, 'latest.md'),
    svg: path.join(outDir, 'latest.svg'),
    json: path.join(outDir, 'latest.json'),
  };
  fs.writeFileSync(files.md, md + '\n');
  fs.writeFileSync(files.svg, svg({ rows, info, reps, quick }));
  const summary = rows.map((r) => ({
    bench: r.bench.id,
    variant: r.variant,
    metric: r.metric.key,
    better: r.metric.better,
    budget: r.metric.budget,
    raw: r.raw?.median,
    wsgate: r.wsgate?.median,
    wsgateRatio: r.wsgate?.ratio,
    wsgateRatios: r.wsgate?.ratios,
    pass: r.pass,
    nest: r.nest?.median,
    nestRatio: r.nest?.ratio,
    nestRatios: r.nest?.ratios,
    socketio: r.socketio?.median,
    socketioRatio: r.socketio?.ratio,
    socketioRatios: r.socketio?.ratios,
  }));
  fs.writeFileSync(files.json, JSON.stringify({ info, reps, quick, seconds, summary, results, errors }, null, 2) + '\n');
  return { markdown: md + '\n', files };
}

module.exports = { writeReport, median, computeRows, FAMILY_NAMES };
