/**
 * The envelope fuzzer's generator: JSON text frames (built as text, so that `__proto__` and
 * friends are own keys, lone surrogates are `\ud800` escapes, and numbers keep forms such as
 * `-0`, `1.0`, `1e400`), near the wire format and just off it. Same seed, same frames.
 */
import { Rng } from '../helpers/fuzz';

export type Target = 'chat' | 'shapes';
export const CATEGORIES = ['request', 'event', 'type-wrong', 'id-bad', 'id-edge', 'type-unknown', 'dollar', 'reply', 'not-object', 'proto-top', 'extra'] as const;
export type Category = (typeof CATEGORIES)[number];

export interface EnvelopeCase {
  index: number;
  category: Category;
  target: Target;
  text: string;
}

/** Probe ids use this prefix; generated ids never do. */
export const PROBE_PREFIX = 'probe:';

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'];
const PROTO_NAMES = [...PROTO_KEYS, 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'isPrototypeOf'];
/** Code units and characters a string is drawn from: lone surrogates, U+FFFF, NUL included. */
const CHARS = ['a', 'Z', '0', ' ', '"', '\\', '/', '$', 'é', '中', '😀', '\ud800', '\udfff', '\udc00', '\uffff', '\ufffe', '\u0000', '\u001f', '\u2028', '\n'];
const UNKNOWN_DOLLAR = ['$', '$$', '$foo', '$Cancel', '$cancel ', '$error2', '$ERROR', '$auth2', '$\u0000'];

const obj = (fields: Array<[string, string]>): string => `{${fields.map(([k, v]) => `${str(k)}:${v}`).join(',')}}`;
const arr = (items: string[]): string => `[${items.join(',')}]`;

/** A JSON string literal; lone surrogates come out as escapes (JSON.stringify does that). */
function str(s: string): string {
  return JSON.stringify(s);
}

/** A random string of exactly `units` UTF-16 code units. */
function randomString(rng: Rng, units: number): string {
  let s = '';
  while (s.length < units) {
    const c = rng.pick(CHARS);
    s += s.length + c.length <= units ? c : 'x';
  }
  return s;
}

/** `{"a":{"a":…}}`, `[[…]]` or both mixed, `depth` levels. */
export function deep(rng: Rng, depth = rng.pick([100, 1000, 10_000])): string {
  const kind = rng.int(0, 2);
  let open = '';
  let close = '';
  for (let i = 0; i < depth; i++) {
    const asArray = kind === 0 || (kind === 2 && i % 2 === 0);
    open += asArray ? '[' : '{"a":';
    close = (asArray ? ']' : '}') + close;
  }
  return `${open}${rng.pick(['1', '"x"', 'null', '{}', '[]'])}${close}`;
}

/** An object holding prototype keys at one or two levels. */
function protoObject(rng: Rng): string {
  const polluting = obj([['polluted', 'true']]);
  const inner = rng.bool() ? polluting : obj([['prototype', polluting]]);
  const fields: Array<[string, string]> = [[rng.pick(PROTO_KEYS), inner]];
  if (rng.bool()) fields.push(['nested', obj([[rng.pick(PROTO_KEYS), inner]])]);
  return obj(fields);
}

function anyValue(rng: Rng, depth = 0): string {
  switch (rng.int(0, depth > 1 ? 6 : 10)) {
    case 0: return rng.pick(['0', '-1', '1.5', '-0', '1e400', '-1e400', '9007199254740993', '5e-324', '123']);
    case 1: return str(randomString(rng, rng.int(0, 8)));
    case 2: return rng.pick(['true', 'false', 'null']);
    case 3: return '[]';
    case 4: return '{}';
    case 5: return str(rng.pick(PROTO_NAMES));
    case 6: return rng.pick(['"1"', '"true"', '""']);
    case 7: return arr(Array.from({ length: rng.int(1, 4) }, () => anyValue(rng, depth + 1)));
    case 8: return obj(Array.from({ length: rng.int(1, 3) }, () => [rng.pick(['k', 'text', 'x', ...PROTO_KEYS]), anyValue(rng, depth + 1)] as [string, string]));
    case 9: return protoObject(rng);
    default: return deep(rng);
  }
}

function goodId(rng: Rng): string {
  const n = rng.int(0, 9);
  if (n < 4) return String(rng.int(0, 1_000_000));
  if (n < 6) return str(randomString(rng, rng.int(1, 12))); // never the probes' prefix: CHARS has no 'p'
  if (n === 6) return rng.pick(['0', '9007199254740991', '1.0', '1e2', '-0', '0.0', '4.0e1']);
  if (n === 7) return str(rng.pick(PROTO_NAMES));
  return str(`x${randomString(rng, rng.pick([63, 0]))}`); // 64 or 1 code units
}

function badId(rng: Rng): string {
  return rng.pick([
    '-1', '-0.5', '1.5', '0.1', '9007199254740992', '9007199254740993', '1e400', '-1e400', '1e300', '5e-324',
    '""', str('x'.repeat(65)), str(randomString(rng, 65)), str('y'.repeat(1000)), 'null', 'true', 'false', '[]', '[1]', '{}', '{"id":1}', deep(rng, 1000),
  ]);
}

/** An id field: edge ids (0, 2^53 − 1, 64 code units, `-0`, `1.0`) that are usable. */
function edgeId(rng: Rng): string {
  return rng.pick(['0', '9007199254740991', '-0', '1.0', '1e15', str('a'), str('x'.repeat(64)), str(randomString(rng, 64)), str('😀'.repeat(32)), str('\ud800'), str('\u0000'), str('\uffff')]);
}

/** A payload for a known type: valid, one field off, prototype keys, extra fields, deep, or anything. */
function payload(rng: Rng, target: Target, type: string): string | undefined {
  const r = rng.int(0, 9);
  if (r === 0) return undefined;
  if (r === 1) return anyValue(rng);
  if (r === 2) return deep(rng);
  const fields: Array<[string, string]> = [];
  if (target === 'shapes') {
    fields.push(['x', rng.bool(0.85) ? String(rng.int(-50, 50)) : anyValue(rng)]);
    fields.push(['y', rng.bool(0.85) ? rng.pick(['2', '0.5', '-3', '1e400']) : anyValue(rng)]);
    const tags = rng.bool(0.7)
      ? arr(Array.from({ length: rng.int(0, 30) }, () => (rng.bool(0.8) ? str(randomString(rng, rng.int(0, 4))) : anyValue(rng))))
      : anyValue(rng);
    fields.push(['tags', tags]);
  } else if (type === 'say') {
    const len = rng.pick([0, 1, 5, 20, 2000, 2001]);
    fields.push(['text', rng.bool(0.85) ? str(randomString(rng, len)) : anyValue(rng)]);
  } else if (type === 'typing') {
    fields.push(['on', rng.bool(0.8) ? rng.pick(['true', 'false']) : anyValue(rng)]);
  } else if (type === 'history') {
    if (rng.bool(0.8)) fields.push(['before', rng.bool(0.8) ? rng.pick(['-1', '0', '1', '2.5', '4', '1e400']) : anyValue(rng)]);
  } else fields.push(['anything', anyValue(rng)]);
  if (r >= 7) fields.splice(rng.int(0, fields.length), 0, [rng.pick([...PROTO_KEYS, 'extra', 'more']), r === 9 ? deep(rng) : protoObject(rng)]);
  if (r === 6 && fields.length > 0) fields.splice(rng.int(0, fields.length - 1), 1); // a field missing
  return obj(fields);
}

function knownType(rng: Rng, target: Target): string {
  return target === 'shapes' ? 'point' : rng.pick(['say', 'say', 'typing', 'ping', 'history']);
}

/** Envelope fields in a random order, plus (sometimes) unknown fields. */
function envelope(rng: Rng, fields: Array<[string, string | undefined]>, extras = rng.bool(0.2)): string {
  const present = fields.filter((f): f is [string, string] => f[1] !== undefined);
  if (extras) {
    for (let i = rng.int(1, 3); i > 0; i--) present.push([rng.pick(['x', 'Type', 'ID', ' type', 'payload', 'more', 'error', ...PROTO_KEYS]), anyValue(rng)]);
  }
  for (let i = present.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [present[i], present[j]] = [present[j], present[i]];
  }
  return obj(present);
}

function build(rng: Rng, category: Category, target: Target): string {
  const type = knownType(rng, target);
  switch (category) {
    case 'request':
      return envelope(rng, [['type', str(type)], ['id', goodId(rng)], ['data', payload(rng, target, type)]]);
    case 'event':
      return envelope(rng, [['type', str(type)], ['data', payload(rng, target, type)]]);
    case 'type-wrong':
      return envelope(rng, [['type', rng.bool(0.2) ? deep(rng) : rng.pick(['1', '0', 'null', 'true', '[]', '["say"]', '{}', '{"type":"say"}'])], ['id', rng.bool() ? goodId(rng) : rng.bool() ? badId(rng) : undefined], ['data', payload(rng, target, type)]]);
    case 'id-bad':
      return envelope(rng, [['type', rng.bool(0.8) ? str(type) : rng.bool() ? str('$cancel') : str('nope')], ['id', badId(rng)], ['data', payload(rng, target, type)]]);
    case 'id-edge':
      return envelope(rng, [['type', str(type)], ['id', edgeId(rng)], ['data', payload(rng, target, type)]]);
    case 'type-unknown': {
      const name = rng.pick([...PROTO_NAMES, 'shout', 'Say', 'say ', '', randomString(rng, rng.int(1, 10)), 'x'.repeat(300)]);
      return envelope(rng, [['type', str(name.startsWith('$') ? `_${name}` : name)], ['id', rng.bool() ? goodId(rng) : undefined], ['data', payload(rng, target, type)]]);
    }
    case 'dollar': {
      const name = rng.pick(['$cancel', '$error', ...UNKNOWN_DOLLAR]);
      const id = name === '$cancel' ? goodId(rng) : rng.bool() ? goodId(rng) : undefined; // a $cancel without any id: left to the docs
      // The server logs a client's `$error` with its `error` value: deep nesting there has its own test (peer-error-log.test.ts).
      const error = name === '$error' ? anyValue(rng, 2) : anyValue(rng);
      return envelope(rng, [['type', str(name)], ['id', id], ['data', rng.bool() ? anyValue(rng) : undefined], ['error', rng.bool() ? error : undefined]]);
    }
    case 'reply': {
      const id = rng.bool(0.6) ? goodId(rng) : rng.bool() ? badId(rng) : undefined;
      return envelope(rng, [['id', id], ['data', rng.bool() ? anyValue(rng) : undefined], ['error', rng.bool(0.4) ? anyValue(rng) : undefined], ['more', rng.bool(0.3) ? anyValue(rng) : undefined]]);
    }
    case 'not-object':
      return rng.pick([
        '', ' ', 'null', '42', '"say"', 'true', '[]', '[{"type":"say","id":1}]', '{"type":"say",', '{type:"say"}', "{'type':'say'}",
        '\ufeff{"type":"ping","id":1}', '{"type":"ping","id":1}}', '{"type":"say\u0000"}', '{"type":"\\ud800}', 'NaN', '{"id":01}', '{"id":1,}',
        deep(rng), `{"type":"ping","id":1} x`, randomString(rng, rng.int(1, 30)).replace(/[\ud800-\udfff]/g, '?'),
      ]);
    case 'proto-top': {
      const fields: Array<[string, string | undefined]> = [['type', str(type)], ['id', rng.bool() ? goodId(rng) : undefined], ['data', payload(rng, target, type)]];
      if (rng.bool(0.3)) fields.shift(); // prototype keys beside an id only (a reply)
      for (const key of PROTO_KEYS) if (rng.bool(0.6)) fields.push([key, rng.bool() ? protoObject(rng) : obj([['type', str('say')], ['id', '1'], ['polluted', 'true']])]);
      return envelope(rng, fields, false);
    }
    case 'extra':
      // duplicate keys (the last one counts in JSON.parse) and many unknown fields
      return `{"type":${str(rng.pick(['shout', type]))},${envelope(rng, [['type', str(type)], ['id', rng.bool() ? goodId(rng) : undefined], ['data', payload(rng, target, type)]], true).slice(1)}`;
  }
}

/** `count` cases from `seed`, each category in turn. */
export function buildCases(seed: number, count: number): EnvelopeCase[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, (_, index) => {
    const category = CATEGORIES[index % CATEGORIES.length];
    const target: Target = rng.bool(0.2) ? 'shapes' : 'chat';
    return { index, category, target, text: build(rng, category, target) };
  });
}
