/**
 * Envelope fuzzing: 2,000 seeded text frames near the wire format (wrong types for every field,
 * bad and edge ids, 10,000-level nesting, prototype keys, lone surrogates, U+FFFF, NUL, unknown `$`
 * types, extra and duplicate fields) sent over real sockets to a zod and a valibot contract
 * gateway. Each answer is checked against the oracle in fuzz-oracle.ts (written from
 * docs/protocol.md), then a probe request must still work, nothing may be logged at error level
 * and no prototype may change. A second run of 300 frames against a gateway with
 * `onInvalidMessage: 'close'` checks that exactly the BAD_MESSAGE / UNKNOWN_TYPE / VALIDATION
 * cases close with 1008 (nothing sent first), and everything else is answered as usual.
 *
 * Replay: WSGATE_FUZZ_SEED=<seed> npx jest test/protocol/fuzz.test.ts (failures print the seed).
 */
import { isDeepStrictEqual } from 'node:util';
import { Gateway, OnMessage, type In, type MessageContext, type Out } from '../../src';
import { startApp } from '../helpers/app';
import { buildCases, CATEGORIES, PROBE_PREFIX, type EnvelopeCase } from './fuzz-envelopes';
import { isObject, own, predict, type Expected, type Model, type Path } from './fuzz-oracle';
import { chat, JsonPeer, shapes, type Json } from './fixtures';

const SEED = Number(process.env.WSGATE_FUZZ_SEED ?? 20261202);
const COUNT = 2000;
const CASE_TIMEOUT_MS = 5000;

/** Payloads whose prototype is not Object.prototype, as handlers saw them (should stay empty). */
const oddPayloads: string[] = [];
function notePayload(where: string, data: unknown): void {
  if (typeof data === 'object' && data !== null && Object.getPrototypeOf(data) !== Object.prototype) oddPayloads.push(where);
}

const historyLength = (before: unknown): number => Math.min(typeof before === 'number' ? before : 3, 5);

/** The fuzzed chat gateway; `onInvalidMessage` as given. */
function fuzzedChatGateway(path: string, onInvalidMessage: 'reply' | 'close') {
  @Gateway(path, { contract: chat, onInvalidMessage })
  class FuzzedChatGateway {
    @OnMessage(chat, 'say')
    async say(data: In<typeof chat, 'say'>): Promise<Out<typeof chat, 'say'>> {
      notePayload('say', data);
      return { id: `m-${data.text}` };
    }

    @OnMessage(chat, 'typing')
    typing(data: In<typeof chat, 'typing'>): void {
      notePayload('typing', data);
    }

    @OnMessage(chat, 'ping')
    ping(): void {}

    @OnMessage(chat, 'history')
    async *history(data: In<typeof chat, 'history'>, ctx: MessageContext): AsyncIterable<Out<typeof chat, 'history'>> {
      notePayload('history', data);
      for (let n = 0; n < historyLength(data.before) && !ctx.signal.aborted; n++) yield { n };
    }
  }
  return FuzzedChatGateway;
}

@Gateway('/shapes', { contract: shapes })
class FuzzedShapesGateway {
  @OnMessage(shapes, 'point')
  point(data: In<typeof shapes, 'point'>): Out<typeof shapes, 'point'> {
    notePayload('point', data);
    return data.x + data.y;
  }
}

/** The two gateways above, as the oracle models them (their schemas as shallow checks). */
const field = (d: unknown, key: string): unknown => (isObject(d) ? own(d, key) : undefined);
const objectWith = (check: (d: Record<string, unknown>) => Path[]) => (d: unknown): Path[] => (isObject(d) ? check(d) : [[]]);
/** valibot's `object()` takes arrays too (then reports each missing key). */
const valibotObjectWith = (check: (d: Record<string, unknown>) => Path[]) => (d: unknown): Path[] =>
  typeof d === 'object' && d !== null ? check(d as Record<string, unknown>) : [[]];
/** zod 4 measures strings in code points, not UTF-16 code units. */
const codePoints = (s: string): number => [...s].length;
const MODELS: Record<'chat' | 'shapes', Model> = {
  chat: {
    say: {
      check: objectWith((d) => {
        const text = own(d, 'text');
        return typeof text === 'string' && codePoints(text) >= 1 && codePoints(text) <= 2000 ? [] : [['text']];
      }),
      reply: (d) => ({ id: `m-${field(d, 'text') as string}` }),
    },
    typing: { check: objectWith((d) => (typeof own(d, 'on') === 'boolean' ? [] : [['on']])) },
    ping: {},
    history: {
      check: objectWith((d) => {
        const before = own(d, 'before');
        return !Object.hasOwn(d, 'before') || (typeof before === 'number' && Number.isFinite(before)) ? [] : [['before']];
      }),
      stream: (d) => Array.from({ length: Math.max(0, Math.ceil(historyLength(field(d, 'before')))) }, (_, n) => ({ n })),
    },
  },
  shapes: {
    point: {
      check: valibotObjectWith((d) => {
        const paths: Path[] = [];
        for (const k of ['x', 'y']) if (typeof own(d, k) !== 'number') paths.push([k]);
        const tags = own(d, 'tags');
        if (!Array.isArray(tags)) paths.push(['tags']);
        else tags.forEach((t, i) => typeof t !== 'string' && paths.push(['tags', i]));
        return paths;
      }),
      reply: (d) => (field(d, 'x') as number) + (field(d, 'y') as number),
    },
  },
};

/** Why `got` (the messages before the probe's answer) is not what `expected` says; undefined when it is. */
function mismatch(expected: Expected, got: Json[]): string | undefined {
  const show = (): string => `expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`;
  switch (expected.kind) {
    case 'none':
      return got.length === 0 ? undefined : show();
    case 'reply':
      return isDeepStrictEqual(got, [{ id: expected.id, data: expected.data }]) ? undefined : show();
    case 'stream': {
      const want = [...expected.items.map((data) => ({ id: expected.id, data, more: true })), { id: expected.id, more: false }];
      return isDeepStrictEqual(got, want) ? undefined : show();
    }
    case 'error-reply':
    case '$error': {
      if (got.length !== 1) return show();
      const m = got[0];
      const error = m.error as Record<string, unknown> | undefined;
      const head =
        expected.kind === 'error-reply'
          ? isDeepStrictEqual(Object.keys(m).sort(), ['error', 'id']) && isDeepStrictEqual(m.id, expected.id)
          : isDeepStrictEqual(Object.keys(m).sort(), ['error', 'type']) && m.type === '$error';
      if (!head || !isObject(error) || error.code !== expected.code || typeof error.message !== 'string') return show();
      if (error.type !== (expected.kind === '$error' ? expected.type : undefined)) return `error.type: ${show()}`;
      if (!expected.paths) return error.issues === undefined ? undefined : show();
      const issues = error.issues as Array<{ message: unknown; path: unknown }> | undefined;
      // Where, not how many: a schema may report one spot twice (zod: `[]` is neither a string nor long enough).
      const paths = Array.isArray(issues) ? [...new Set(issues.map((i) => JSON.stringify(i.path)))] : undefined;
      if (!isDeepStrictEqual(paths, expected.paths.map((p) => JSON.stringify(p)))) return `issue paths: ${show()}`;
      const badMessage = issues!.find((i) => typeof i.message !== 'string' || i.message.length === 0 || i.message.length > 200);
      return badMessage ? `issue message: ${show()}` : undefined;
    }
  }
}

function prototypeKeys(): string[] {
  return [Object.prototype, Array.prototype, Function.prototype, String.prototype].map((p) => Reflect.ownKeys(p).map(String).sort().join(','));
}

const probes = { chat: { type: 'say', data: { text: 'probe' }, answer: { id: 'm-probe' } }, shapes: { type: 'point', data: { x: 1, y: 2, tags: [] }, answer: 3 } };

async function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${CASE_TIMEOUT_MS} ms`)), CASE_TIMEOUT_MS)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

it(`answers ${COUNT} fuzzed envelopes as docs/protocol.md says, stays usable, logs no error and pollutes no prototype`, async () => {
  const { url, logger } = await startApp([fuzzedChatGateway('/chat', 'reply'), FuzzedShapesGateway]);
  const peers = { chat: await JsonPeer.open(url('/chat')), shapes: await JsonPeer.open(url('/shapes')) };
  const before = prototypeKeys();
  const cases = buildCases(SEED, COUNT);
  const failures: string[] = [];
  const seen = new Map<string, number>();
  const fail = (c: EnvelopeCase, problem: string): void => {
    failures.push(`seed ${SEED} case ${c.index} [${c.category} → /${c.target}] ${problem.slice(0, 600)}\n  frame: ${c.text.slice(0, 300)}${c.text.length > 300 ? '…' : ''}`);
  };

  for (const c of cases) {
    const peer = peers[c.target];
    const probe = probes[c.target];
    const expected = predict(c.text, MODELS[c.target]);
    const key = expected.kind === 'error-reply' || expected.kind === '$error' ? `${expected.kind} ${expected.code}` : expected.kind;
    seen.set(key, (seen.get(key) ?? 0) + 1);
    const start = peer.received.length;
    peer.send(c.text);
    const probeId = `${PROBE_PREFIX}${c.index}`;
    peer.send({ type: probe.type, id: probeId, data: probe.data });
    let answer: Json;
    try {
      answer = await withTimeout(peer.answer(probeId), `answer to the probe ${probeId}`);
    } catch (err) {
      fail(c, `the connection is no longer usable: ${(err as Error).message}`);
      break;
    }
    if (!isDeepStrictEqual(answer, { id: probeId, data: probe.answer })) fail(c, `probe answered ${JSON.stringify(answer)}`);
    const problem = mismatch(expected, peer.received.slice(start, peer.received.indexOf(answer)));
    if (problem) fail(c, problem);
    if (logger.errors.length > 0) fail(c, `logged at error level: ${logger.errors.splice(0).join(' | ')}`);
    if (({} as Record<string, unknown>).polluted !== undefined || !isDeepStrictEqual(prototypeKeys(), before)) {
      fail(c, 'a prototype changed');
      break;
    }
    if (failures.length >= 10) break;
  }

  expect(failures).toEqual([]);
  expect(oddPayloads).toEqual([]);
  expect(peers.chat.closed).toBeUndefined();
  expect(peers.shapes.closed).toBeUndefined();
  // Every kind of answer was exercised (so a generator gone wrong cannot pass quietly).
  const kinds = ['none', 'reply', 'stream', 'error-reply BAD_MESSAGE', '$error BAD_MESSAGE', 'error-reply UNKNOWN_TYPE', '$error UNKNOWN_TYPE', 'error-reply VALIDATION', '$error VALIDATION'];
  expect(kinds.filter((k) => (seen.get(k) ?? 0) < 15).map((k) => `${k}: ${seen.get(k) ?? 0}`)).toEqual([]);
  expect(new Set(cases.map((c) => c.category)).size).toBe(CATEGORIES.length);
});

const CLOSE_COUNT = 300;
const INVALID = new Set(['BAD_MESSAGE', 'UNKNOWN_TYPE', 'VALIDATION']);

it(`with onInvalidMessage 'close': ${CLOSE_COUNT} fuzzed envelopes close with 1008 exactly where an invalid-message error is due, and are answered as usual otherwise`, async () => {
  const { url, logger } = await startApp([fuzzedChatGateway('/strict', 'close')]);
  const cases = buildCases(SEED + 1, CLOSE_COUNT * 2).filter((c) => c.target === 'chat').slice(0, CLOSE_COUNT);
  const failures: string[] = [];
  let closes = 0;
  let peer = await JsonPeer.open(url('/strict'));
  for (const c of cases) {
    const where = `seed ${SEED + 1} case ${c.index} [${c.category}]`;
    const expected = predict(c.text, MODELS.chat);
    const start = peer.received.length;
    peer.send(c.text);
    const probeId = `${PROBE_PREFIX}${c.index}`;
    peer.send({ type: probes.chat.type, id: probeId, data: probes.chat.data });
    if ((expected.kind === 'error-reply' || expected.kind === '$error') && INVALID.has(expected.code)) {
      const closed = await withTimeout(peer.closedWith(), 'close');
      closes++;
      if (closed.code !== 1008 || closed.reason.length === 0 || Buffer.byteLength(closed.reason) > 123 || peer.received.length !== start) {
        failures.push(`${where} expected a 1008 close for ${expected.code}, got ${JSON.stringify(closed)} after ${JSON.stringify(peer.received.slice(start))}\n  frame: ${c.text.slice(0, 300)}`);
      }
      peer = await JsonPeer.open(url('/strict'));
      continue;
    }
    try {
      const answer = await withTimeout(peer.answer(probeId), `answer to the probe ${probeId}`);
      const problem = mismatch(expected, peer.received.slice(start, peer.received.indexOf(answer)));
      if (problem) failures.push(`${where} ${problem.slice(0, 600)}\n  frame: ${c.text.slice(0, 300)}`);
    } catch (err) {
      failures.push(`${where} ${(err as Error).message}\n  frame: ${c.text.slice(0, 300)}`);
      peer = await JsonPeer.open(url('/strict'));
    }
    if (failures.length >= 10) break;
  }
  expect(failures).toEqual([]);
  expect(logger.errors).toEqual([]);
  expect(closes).toBeGreaterThanOrEqual(50);
  expect(closes).toBeLessThan(cases.length - 50);
});
