/**
 * Options of the typed client and their defaults. No imports but relative ones.
 * @module
 */
import type { Id } from '../envelope';

/** Where the typed client's connection is. */
export type ClientState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Bounds of the reconnect backoff, in ms. */
export interface ReconnectOptions {
  /** First delay bound (default 250). */
  min?: number;
  /** Largest delay bound (default 15000). */
  max?: number;
}

/** Options of `connect(contract, url, options)`. */
export interface TypedClientOptions {
  /** Reconnect after the connection drops, with exponential backoff and full jitter. Default off. */
  reconnect?: boolean | ReconnectOptions;
  /** Calls and events made while (re)connecting wait here; beyond `max` (default 100) they reject at once. */
  queue?: { max?: number };
  /** Called with each new state. */
  onStateChange?: (state: ClientState) => void;
  /**
   * Gives the bearer token for each connection attempt (`Authorization: Bearer` in Node, a
   * subprotocol in a browser), and a fresh one when the server warns that the credentials expire
   * soon (`$auth.expiring`: sent in-band as `$auth`, on the same connection).
   */
  getToken?: () => string | Promise<string>;
  /** Default timeout of `call`, in ms (default 30000). */
  timeout?: number;
  /** Unread items a `stream` (or an `events` iterator) keeps before it gives up with `OVERFLOW` (default 256). */
  streamBuffer?: number;
  /** Extra headers of the upgrade request. Node only: a browser cannot set them (TypeError). */
  headers?: Record<string, string>;
  /** Subprotocols offered after `wsgate.v1`. */
  subprotocols?: readonly string[];
  /** Gives up `connect`: while it is pending, aborting closes the client and `connect` rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Told of what the client cannot hand to a caller: a `$error` from the server, an incoming event
   * that failed validation, an `on` listener that threw, a `getToken` that failed during an in-band
   * refresh. Default: `console.error`.
   */
  onError?: (err: unknown) => void;
}

/** Options of `call`. */
export interface TypedCallOptions {
  /** Rejects with `TimeoutError` (and sends `$cancel`) after N ms; default the client's `timeout`. */
  timeout?: number;
  /** Rejects with the signal's reason (and sends `$cancel`) when aborted. */
  signal?: AbortSignal;
  /**
   * Sent as `"key"`: a call whose connection drops is sent again after the reconnect instead of
   * rejecting. The handler must be idempotent (it reads `ctx.idempotencyKey`).
   */
  idempotencyKey?: string;
}

/** Options of `stream`. */
export interface TypedStreamOptions {
  /** Ends the iteration with the signal's reason (and sends `$cancel`) when aborted. */
  signal?: AbortSignal;
}

/** What a `handle` handler gets beside the payload. */
export interface ClientHandlerContext {
  /** Aborts when the server cancels the request (`$cancel`) or the connection ends. */
  readonly signal: AbortSignal;
  /** The message type. */
  readonly type: string;
  /** The request id. */
  readonly id: Id;
}

export interface ResolvedClientOptions {
  reconnect: { min: number; max: number } | false;
  queueMax: number;
  onStateChange: ((state: ClientState) => void) | undefined;
  getToken: (() => string | Promise<string>) | undefined;
  timeout: number;
  streamBuffer: number;
  headers: Record<string, string>;
  subprotocols: readonly string[];
  onError: (err: unknown) => void;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0)) throw new RangeError(`connect: ${name} must be a positive number, got ${String(value)}`);
  return value;
}

/** Applies the defaults and checks the values. */
export function resolveClientOptions(o: TypedClientOptions = {}): ResolvedClientOptions {
  let reconnect: ResolvedClientOptions['reconnect'] = false;
  if (o.reconnect) {
    const r = o.reconnect === true ? {} : o.reconnect;
    reconnect = { min: positive('reconnect.min', r.min, 250), max: positive('reconnect.max', r.max, 15000) };
    if (reconnect.max < reconnect.min) throw new RangeError('connect: reconnect.max must be ≥ reconnect.min');
  }
  return {
    reconnect,
    queueMax: o.queue?.max === 0 ? 0 : positive('queue.max', o.queue?.max, 100),
    onStateChange: o.onStateChange,
    getToken: o.getToken,
    timeout: positive('timeout', o.timeout, 30000),
    streamBuffer: positive('streamBuffer', o.streamBuffer, 256),
    headers: { ...o.headers },
    subprotocols: [...(o.subprotocols ?? [])],
    onError: o.onError ?? ((err) => console.error('wsgate client:', err)),
  };
}
