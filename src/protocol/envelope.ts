/**
 * The contract wire format (docs/protocol.md): one JSON object per text frame, read into a tagged
 * value and written back. Used by both ends. No imports but relative ones (browser build).
 * @module
 */

/** A request id: an integer 0 ≤ id ≤ 2^53 − 1 or a string of 1–64 characters. */
export type Id = number | string;

/** One issue of a failed validation, as sent: `path` holds keys and indexes, `[]` for the root. */
export interface WireIssue {
  message: string;
  path: Array<string | number>;
}

/** The error object of an error reply or a `$error`. */
export interface WireError {
  code: string;
  message: string;
  issues?: WireIssue[];
  data?: unknown;
  /** In a `$error` about a message that had a type: that type. */
  type?: string;
}

/** An incoming frame, read. */
export type Envelope =
  | { readonly kind: 'event'; readonly type: string; readonly data: unknown }
  | { readonly kind: 'request'; readonly type: string; readonly id: Id; readonly data: unknown; readonly key: string | undefined }
  /** A reply, a stream item (`more: true`) or a stream's end (`more: false`). */
  | { readonly kind: 'reply'; readonly id: Id; readonly data: unknown; readonly more: boolean | undefined }
  | { readonly kind: 'error-reply'; readonly id: Id; readonly error: WireError }
  | { readonly kind: 'cancel'; readonly id: Id }
  | { readonly kind: 'auth'; readonly id: Id; readonly data: unknown }
  /** The server's warning that the credentials expire soon (`data.expiresAt`, ms since the epoch). */
  | { readonly kind: 'auth-expiring'; readonly data: unknown }
  | { readonly kind: 'peer-error'; readonly error: unknown }
  /** A `$` type this version does not know: ignored, so later versions can add some. */
  | { readonly kind: 'ignored' }
  /** Not a message of the protocol. `id`, when usable, is where the error reply goes. */
  | { readonly kind: 'bad'; readonly message: string; readonly id: Id | undefined; readonly type: string | undefined };

const MAX_ID_LENGTH = 64;

/** Whether `id` is a usable request id. */
export function isId(id: unknown): id is Id {
  return typeof id === 'string' ? id.length >= 1 && id.length <= MAX_ID_LENGTH : Number.isSafeInteger(id) && (id as number) >= 0;
}

function bad(message: string, id: Id | undefined, type: string | undefined): Envelope {
  return { kind: 'bad', message, id, type };
}

/** Reads one text frame. Never throws: anything malformed is a `bad` envelope saying why. */
export function readEnvelope(text: string): Envelope {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return bad('not JSON', undefined, undefined);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('not a JSON object', undefined, undefined);
  const m = value as Record<string, unknown>;
  const { type, id } = m;
  const hasId = id !== undefined;
  const idOk = hasId && isId(id);
  if (type !== undefined) {
    if (typeof type !== 'string') return bad('"type" must be a string', idOk ? (id as Id) : undefined, undefined);
    if (hasId && !idOk) return bad('"id" must be an integer 0…2^53−1 or a string of 1–64 characters', undefined, type);
    if (type.charCodeAt(0) === 36 /* $ */) return readSystem(type, m, idOk ? (id as Id) : undefined);
    if (!idOk) return { kind: 'event', type, data: m.data };
    const key = m.key;
    if (key !== undefined && (typeof key !== 'string' || key.length === 0 || key.length > 256)) {
      return bad('"key" must be a string of 1–256 characters', id as Id, type);
    }
    return { kind: 'request', type, id: id as Id, data: m.data, key };
  }
  if (!hasId) return bad('a message needs a "type" (event or request) or an "id" (reply)', undefined, undefined);
  if (!idOk) return bad('"id" must be an integer 0…2^53−1 or a string of 1–64 characters', undefined, undefined);
  if (m.error !== undefined) return { kind: 'error-reply', id: id as Id, error: readWireError(m.error) };
  const more = m.more;
  return { kind: 'reply', id: id as Id, data: m.data, more: typeof more === 'boolean' ? more : undefined };
}

function readSystem(type: string, m: Record<string, unknown>, id: Id | undefined): Envelope {
  switch (type) {
    case '$cancel':
      return id === undefined ? bad('"$cancel" needs the "id" of the request to cancel', undefined, type) : { kind: 'cancel', id };
    case '$error':
      return { kind: 'peer-error', error: m.error };
    case '$auth':
      return id === undefined ? bad('"$auth" is a request and needs an "id"', undefined, type) : { kind: 'auth', id, data: m.data };
    case '$auth.expiring':
      return { kind: 'auth-expiring', data: m.data };
    default:
      return { kind: 'ignored' };
  }
}

/** An error object from the peer, made safe to hand to user code (a `MessageError`). */
function readWireError(raw: unknown): WireError {
  if (typeof raw !== 'object' || raw === null) return { code: 'BAD_MESSAGE', message: 'malformed error reply' };
  const e = raw as Record<string, unknown>;
  const out: WireError = {
    code: typeof e.code === 'string' ? e.code : 'BAD_MESSAGE',
    message: typeof e.message === 'string' ? e.message : '',
  };
  if (Array.isArray(e.issues)) out.issues = e.issues as WireIssue[];
  if (e.data !== undefined) out.data = e.data;
  return out;
}

// Writers. JSON.stringify of an object literal: V8 serializes these fast, and the field order is fixed.

export function writeEvent(type: string, data: unknown): string {
  return data === undefined ? JSON.stringify({ type }) : JSON.stringify({ type, data });
}

export function writeRequest(type: string, id: Id, data: unknown, key?: string): string {
  return key === undefined ? JSON.stringify({ type, id, data }) : JSON.stringify({ type, id, data, key });
}

export function writeReply(id: Id, data: unknown): string {
  return JSON.stringify({ id, data: data === undefined ? null : data });
}

export function writeStreamItem(id: Id, data: unknown): string {
  return JSON.stringify({ id, data, more: true });
}

export function writeStreamEnd(id: Id): string {
  return JSON.stringify({ id, more: false });
}

export function writeErrorReply(id: Id, error: WireError): string {
  return JSON.stringify({ id, error });
}

export function writeSystemError(error: WireError): string {
  return JSON.stringify({ type: '$error', error });
}

export function writeAuthExpiring(expiresAt: number): string {
  return JSON.stringify({ type: '$auth.expiring', data: { expiresAt } });
}

export function writeCancel(id: Id): string {
  return JSON.stringify({ type: '$cancel', id });
}
