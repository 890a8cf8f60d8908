/**
 * Drives fuzz cases against a live app: one raw connection per case, many in parallel, each
 * checked against the oracle's prediction (the server side: helpers/fuzz-fixture.ts).
 */
import { buildCase, CATEGORIES, encodeFrame, Rng, type Category, type FuzzCase } from './fuzz';
import type { Ending } from './fuzz-oracle';
import { closePayload, Opcode, type Frame } from './frames';
import { RawPeer } from './raw-peer';

/** maxMessageSize of the fuzz gateway: small, so that oversize cases stay cheap. */
export const FUZZ_MAX_MESSAGE = 2048;

export interface ServerRecord {
  opens: number;
  closes: number;
  closeCode: number | undefined;
}
export const caseId = (c: FuzzCase): string => `${c.seed}-${c.index}`;

/** The close code the fuzz gateway's @OnClose must see for a case that ended this way. */
export function expectedServerCloseCode(end: Ending): number | undefined {
  if (end.kind === 'close') return end.code;
  if (end.kind === 'open') return 1000; // the runner closes those itself with 1000
  return undefined; // the peer sent no close frame: wsgate closed, or the TCP connection ended
}

async function until(peer: RawPeer, cond: () => boolean): Promise<void> {
  // waitFor re-checks its predicate on every new frame and on close; the frame itself is irrelevant here.
  while (!cond() && !peer.ended) await peer.waitFor(cond);
}

function describeFrames(frames: Frame[]): string {
  return frames.map((f) => `${f.opcode}${f.fin ? '' : '(no fin)'}:${f.payload.length}`).join(' ');
}

function isPrefix(actual: Buffer[], expected: Buffer[]): boolean {
  return actual.length <= expected.length && actual.every((a, i) => a.equals(expected[i]));
}

/** Runs one case; resolves with a description of what went wrong, or undefined. */
async function runCase(port: number, c: FuzzCase): Promise<string | undefined> {
  const peer = await RawPeer.open(port, `/fuzz/${caseId(c)}`);
  let at = 0;
  for (const w of c.writes) {
    peer.send(c.bytes.subarray(at, at + w));
    at += w;
    await new Promise((resolve) => setImmediate(resolve));
  }
  const { end, messages, pongs } = c.expected;
  const data = (): Frame[] => peer.frames.filter((f) => f.opcode === Opcode.text || f.opcode === Opcode.binary);
  const pongFrames = (): Frame[] => peer.frames.filter((f) => f.opcode === Opcode.pong);
  let closeCode: number | undefined | 'none';
  if (end.kind === 'incomplete') {
    peer.socket.end();
    await peer.closed();
  } else {
    if (end.kind === 'open') {
      await until(peer, () => data().length >= messages.length && pongFrames().length >= pongs.length);
      peer.send(encodeFrame({ opcode: Opcode.close, payload: closePayload(1000) }, new Rng(c.index)));
    }
    const f = await peer.closeFrame();
    peer.socket.end();
    await peer.closed();
    if (!f) return `expected a close frame (${JSON.stringify(end)}), the connection was cut; frames: ${describeFrames(peer.frames)}`;
    closeCode = f.code;
  }

  const want = end.kind === 'error' ? end.code : end.kind === 'close' ? end.code : end.kind === 'open' ? 1000 : 'none';
  const closes = peer.frames.filter((f) => f.opcode === Opcode.close);
  if (end.kind === 'incomplete' && closes.length > 0) return `expected a clean cut, got close frame ${closes[0].payload.toString('hex')}`;
  if (end.kind !== 'incomplete' && closeCode !== want) return `expected close code ${String(want)}, got ${String(closeCode)}`;
  if (closes.length > 1) return `${closes.length} close frames`;
  const closeAt = peer.frames.findIndex((f) => f.opcode === Opcode.close);
  if (closeAt !== -1 && closeAt !== peer.frames.length - 1) return `frames after the close frame: ${describeFrames(peer.frames)}`;
  if (peer.frames.some((f) => ![Opcode.text, Opcode.binary, Opcode.pong, Opcode.close].includes(f.opcode as 1) || !f.fin)) {
    return `unexpected frame kinds: ${describeFrames(peer.frames)}`;
  }
  const got = data();
  if (got.some((f, i) => i < messages.length && (f.opcode === Opcode.binary) !== messages[i].binary)) return 'an echo came back with the wrong opcode';
  const complete = end.kind === 'open';
  if (!isPrefix(got.map((f) => f.payload), messages.map((m) => m.data)) || (complete && got.length !== messages.length)) {
    return `echoes ${got.length} differ from the ${messages.length} expected messages`;
  }
  const gotPongs = pongFrames().map((f) => f.payload);
  if (!isPrefix(gotPongs, pongs) || (complete && gotPongs.length !== pongs.length)) return `pongs ${gotPongs.length} differ from the ${pongs.length} expected`;
  return undefined;
}

export interface FuzzReport {
  cases: FuzzCase[];
  /** `seed-index [category]: problem (bytes as hex)` for every case that went wrong. */
  failures: string[];
  byCategory: Record<Category, number>;
  byEnding: Record<string, number>;
}

function endingLabel(end: Ending): string {
  return end.kind === 'error' ? `error ${end.code}` : end.kind;
}

/**
 * Runs `count` cases of each seed, `parallel` at a time. Each case gets `caseTimeoutMs`; a case
 * that hangs is reported, not waited for.
 */
export async function runFuzz(port: number, seeds: readonly number[], count: number, parallel: number, caseTimeoutMs = 10_000): Promise<FuzzReport> {
  const cases = seeds.flatMap((seed) => Array.from({ length: count }, (_, i) => buildCase(seed, i, FUZZ_MAX_MESSAGE)));
  const failures: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      const c = cases[next++];
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`no end after ${caseTimeoutMs} ms`), caseTimeoutMs)));
      const problem = await Promise.race([runCase(port, c).catch((err: Error) => `threw ${err.message}`), timeout]);
      clearTimeout(timer);
      if (problem) failures.push(`${caseId(c)} [${c.category}]: ${problem} (bytes ${c.bytes.subarray(0, 200).toString('hex')})`);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  const byCategory = Object.fromEntries(CATEGORIES.map((k) => [k, 0])) as Record<Category, number>;
  const byEnding: Record<string, number> = {};
  for (const c of cases) {
    byCategory[c.category]++;
    const label = endingLabel(c.expected.end);
    byEnding[label] = (byEnding[label] ?? 0) + 1;
  }
  return { cases, failures, byCategory, byEnding };
}

