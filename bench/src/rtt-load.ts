/**
 * The load of the `contract-rtt` benchmark (client.ts, mode `rtt`): closed-loop request/reply over
 * `conns` connections, each keeping `inflight` `add` requests outstanding, in the wire format of
 * the server under test. Every reply is parsed and checked: its id (or, for NestJS platform-ws,
 * which has no ids, its place in order) and the sum. One mismatch fails the run.
 */
import type { Socket as NetSocket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';

export type RttFlavour = 'wsgate' | 'raw' | 'nest' | 'socketio';

interface StatsLike {
  cpu: { user: number; system: number };
}

export interface RttOptions {
  flavour: RttFlavour;
  host: string;
  port: number;
  path: string;
  conns: number;
  inflight: number;
  warmupMs: number;
  measureMs: number;
  stats: () => Promise<StatsLike>;
}

/** What one connection needs: send request `seq`, and be told of each reply (checked) in order. */
interface Channel {
  send(seq: number): void;
  close(): void;
}

const NOTE = 'round trip';
const B = 7;
/** `a` of request `seq` (small integers, varying so a stale or misrouted reply shows). */
const aOf = (seq: number): number => seq % 1000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** ws client options as in client.ts: no compression, no UTF-8 validation, all-zero mask. */
const CLIENT_OPTIONS = {
  perMessageDeflate: false,
  skipUTF8Validation: true,
  generateMask: (mask: Buffer): void => {
    mask[0] = mask[1] = mask[2] = mask[3] = 0;
  },
};

interface Reply {
  id?: unknown;
  event?: unknown;
  data?: { sum?: unknown; note?: unknown };
  error?: unknown;
}

/** Checks a parsed reply against request `seq`; returns an error text or undefined. */
function check(flavour: RttFlavour, reply: Reply | undefined, seq: number): string | undefined {
  if (!reply || typeof reply !== 'object') return `not an object: ${JSON.stringify(reply)}`;
  if (flavour === 'nest' ? reply.event !== 'add' : flavour !== 'socketio' && reply.id !== seq) {
    return `expected the reply to request ${seq}, got ${JSON.stringify(reply).slice(0, 120)}`;
  }
  if (reply.data?.sum !== aOf(seq) + B || reply.data?.note !== NOTE) return `wrong reply to request ${seq}: ${JSON.stringify(reply).slice(0, 120)}`;
  return undefined;
}

/** A `ws` connection speaking JSON: `{"type","id","data"}` (wsgate, raw) or `{"event","data"}` (nest). */
async function openWs(o: RttOptions, onReply: (seq: number, error: string | undefined) => void): Promise<Channel> {
  const ws = new WebSocket(`ws://${o.host}:${o.port}${o.path}`, o.flavour === 'wsgate' ? ['wsgate.v1'] : [], CLIENT_OPTIONS);
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => {
      ws.off('error', reject);
      ws.on('error', () => undefined);
      resolve();
    });
  });
  const pending = new Float64Array(o.inflight); // seq of each outstanding request, in order
  let head = 0;
  let tail = 0;
  // As in client.ts: the follow-ups to the replies of one read leave in one write.
  const socket = (ws as unknown as { _socket: NetSocket })._socket;
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  const nest = o.flavour === 'nest';
  ws.on('message', (data: Buffer) => {
    const seq = pending[head++ % o.inflight];
    let reply: Reply | undefined;
    try {
      reply = JSON.parse(data.toString()) as Reply;
    } catch {
      reply = undefined;
    }
    onReply(seq, check(o.flavour, reply, seq));
  });
  return {
    send(seq: number): void {
      if (!corked) {
        corked = true;
        socket.cork();
        process.nextTick(uncork);
      }
      pending[tail++ % o.inflight] = seq;
      const data = `{"a":${aOf(seq)},"b":${B},"note":"${NOTE}"}`;
      ws.send(nest ? `{"event":"add","data":${data}}` : `{"type":"add","id":${seq},"data":${data}}`);
    },
    close: () => ws.close(1000),
  };
}

/** A socket.io connection (WebSocket transport only): `emitWithAck('add', data)` per request. */
async function openSocketIo(o: RttOptions, onReply: (seq: number, error: string | undefined) => void): Promise<Channel> {
  const { io } = await import('socket.io-client');
  const socket = io(`http://${o.host}:${o.port}`, { transports: ['websocket'], forceNew: true, reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return {
    send(seq: number): void {
      socket.emitWithAck('add', { a: aOf(seq), b: B, note: NOTE }).then(
        (reply: Reply) => onReply(seq, check('socketio', reply, seq)),
        (err: unknown) => onReply(seq, String(err)),
      );
    },
    close: () => void socket.close(),
  };
}

export async function rttLoad(o: RttOptions) {
  const cap = 4_000_000;
  const rtts = new Float64Array(cap);
  let n = 0;
  let received = 0;
  let measuring = false;
  let stopped = false;
  let outstanding = 0;
  let failure: string | undefined;
  let drained: (() => void) | undefined;
  let nextSeq = 1;
  const sentAt = new Map<number, number>();

  const channels: Channel[] = [];
  for (let c = 0; c < o.conns; c++) {
    let channel: Channel | undefined;
    const send = (): void => {
      const seq = nextSeq++;
      sentAt.set(seq, performance.now());
      outstanding++;
      channel!.send(seq);
    };
    const onReply = (seq: number, error: string | undefined): void => {
      const now = performance.now();
      outstanding--;
      if (error) failure ??= error;
      const t = sentAt.get(seq);
      sentAt.delete(seq);
      if (measuring) {
        received++;
        if (n < cap && t !== undefined) rtts[n++] = now - t;
      }
      if (!stopped && !failure) send();
      else if (outstanding === 0) drained?.();
    };
    channel = o.flavour === 'socketio' ? await openSocketIo(o, onReply) : await openWs(o, onReply);
    channels.push(channel);
    for (let i = 0; i < o.inflight; i++) send();
  }

  await sleep(o.warmupMs);
  if (failure) throw new Error(failure);
  const s0 = await o.stats();
  const t0 = performance.now();
  measuring = true;
  await sleep(o.measureMs);
  measuring = false;
  const t1 = performance.now();
  const s1 = await o.stats();
  stopped = true;
  if (outstanding > 0) await Promise.race([new Promise<void>((resolve) => (drained = resolve)), sleep(3000)]);
  for (const channel of channels) channel.close();
  if (failure) throw new Error(failure);
  const seconds = (t1 - t0) / 1000;
  const cpu = s1.cpu.user + s1.cpu.system - (s0.cpu.user + s0.cpu.system);
  const sorted = rtts.slice(0, n).sort();
  const pct = (p: number): number => (n ? sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))] : NaN);
  return {
    rttPerSec: received / seconds,
    cpuUsPerReq: cpu / received,
    rttP50Ms: pct(50),
    rttP99Ms: pct(99),
    serverCpuShare: cpu / 1e6 / seconds,
    requests: received,
    seconds,
  };
}
