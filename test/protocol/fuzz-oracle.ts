/**
 * The envelope fuzzer's oracle: what a contract gateway must answer to one text frame, worked out
 * from docs/protocol.md alone (no import from src/). The gateways' handlers are modelled here by
 * hand (`Model`): their schemas as shallow checks giving the issue paths, their replies as values.
 */

export type Id = number | string;
export type Path = Array<string | number>;

export type Expected =
  /** Nothing is sent (an event, a reply to no pending call, `$cancel`/`$error`, an unknown `$` type). */
  | { kind: 'none' }
  | { kind: 'reply'; id: Id; data: unknown }
  | { kind: 'stream'; id: Id; items: unknown[] }
  | { kind: 'error-reply'; id: Id; code: string; paths?: Path[] }
  /** `$error`; `type` is the offending message's type when it had one (a string). */
  | { kind: '$error'; code: string; type: string | undefined; paths?: Path[] };

/** One message type of a gateway, as the oracle sees it. */
export interface TypeModel {
  /** Issue paths of a payload its schema refuses (`[]` when it passes); absent: no schema. */
  check?(data: unknown): Path[];
  /** The reply for a valid payload; absent: the type has no reply (a request gets `null`). */
  reply?(data: unknown): unknown;
  /** The items of a stream type. */
  stream?(data: unknown): unknown[];
}
export type Model = Record<string, TypeModel>;

const MAX_ID = 2 ** 53 - 1;
const MAX_ISSUES = 20;

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Own properties only: JSON text makes every key (`__proto__` too) an own property. */
export const own = (o: Record<string, unknown>, key: string): unknown => (Object.hasOwn(o, key) ? o[key] : undefined);

/** "an integer 0 ≤ I ≤ 2^53 − 1 or a string of 1 to 64 characters" (characters: UTF-16 code units, JavaScript's length). */
export function usableId(id: unknown): id is Id {
  if (typeof id === 'string') return id.length >= 1 && id.length <= 64;
  return typeof id === 'number' && Number.isInteger(id) && id >= 0 && id <= MAX_ID;
}

/** The wire cannot tell -0 from 0 (nor carry Infinity): what a value looks like after a JSON round trip. */
export const viaJson = (v: unknown): unknown => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

function fail(code: string, id: Id | undefined, type: string | undefined, paths?: Path[]): Expected {
  if (id !== undefined) return paths ? { kind: 'error-reply', id, code, paths } : { kind: 'error-reply', id, code };
  return paths ? { kind: '$error', code, type, paths } : { kind: '$error', code, type };
}

/** What the gateway described by `model` answers to the text frame `text`. */
export function predict(text: string, model: Model): Expected {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return fail('BAD_MESSAGE', undefined, undefined);
  }
  if (!isObject(m)) return fail('BAD_MESSAGE', undefined, undefined);
  const hasType = Object.hasOwn(m, 'type');
  const hasId = Object.hasOwn(m, 'id');
  const type = own(m, 'type');
  const rawId = own(m, 'id');
  const id = usableId(rawId) ? (viaJson(rawId) as Id) : undefined;

  if (!hasType) {
    if (!hasId) return fail('BAD_MESSAGE', undefined, undefined); // neither type nor id
    if (id === undefined) return fail('BAD_MESSAGE', undefined, undefined); // a reply with a bad id
    return { kind: 'none' }; // a reply whose id matches no pending request
  }
  if (typeof type !== 'string') return fail('BAD_MESSAGE', id, undefined); // to the id when usable
  if (hasId && id === undefined) return fail('BAD_MESSAGE', undefined, type);
  if (type.startsWith('$')) return { kind: 'none' }; // $cancel of no pending request, $error, unknown $ types
  const spec = Object.hasOwn(model, type) ? model[type] : undefined;
  if (!spec) return fail('UNKNOWN_TYPE', id, type);
  const data = own(m, 'data');
  const paths = spec.check ? spec.check(data) : [];
  if (paths.length > 0) return fail('VALIDATION', id, type, paths.slice(0, MAX_ISSUES));
  if (id === undefined) return { kind: 'none' }; // an event: the handler runs, nothing is sent
  if (spec.stream) return { kind: 'stream', id, items: spec.stream(data) };
  return { kind: 'reply', id, data: spec.reply ? viaJson(spec.reply(data)) : null };
}
