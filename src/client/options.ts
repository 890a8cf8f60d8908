/**
 * Options of `websocketConnect` and their defaults.
 * @module
 */
import { DEFAULTS } from '../constants';
import type { CompressionOptions, IncomingMessage, Logger } from '../types';

/**
 * Where to connect: a `ws:`/`wss:` (or `http:`/`https:`) URL, plus extra request headers.
 * Mirrors passing a tornado `HTTPRequest` to `websocket_connect`.
 *
 * @example
 * ```ts
 * const conn = await websocketConnect({ url: 'wss://example.com/feed', headers: { Authorization: `Bearer ${token}` } });
 * ```
 */
export interface ConnectRequest {
  url: string | URL;
  /** Extra headers of the upgrade request (e.g. `Origin`, `Authorization`, `Cookie`). */
  headers?: Record<string, string>;
}

/**
 * Options of `websocketConnect`. Mirrors the keyword arguments of tornado's `websocket_connect`.
 *
 * @example
 * ```ts
 * const conn = await websocketConnect('ws://127.0.0.1:8888/chat', { connectTimeout: 5000, subprotocols: ['chat.v2'] });
 * ```
 */
export interface ConnectOptions {
  /** TCP connect, TLS and the whole opening handshake must be done within N ms, else `TimeoutError`. Default 20 s. */
  connectTimeout?: number;
  /**
   * Callback style (tornado's `on_message_callback`): called with each message in arrival order,
   * then once with `null` when the connection has ended. `readMessage` and iteration are then not
   * available. When it returns a promise, the next message waits for it (and the socket is paused
   * after `maxQueuedMessages` waiting messages). An exception, or a rejected promise, is logged and
   * closes the connection with 1011 (a `WebSocketError` closes with its own code).
   */
  onMessage?: (message: IncomingMessage | null) => unknown;
  /** Subprotocols offered in `Sec-WebSocket-Protocol`, in order of preference. The server may select none. */
  subprotocols?: readonly string[];
  /** Extra headers of the upgrade request; `{ url, headers }` given as the first argument wins over these. */
  headers?: Record<string, string>;
  /** permessage-deflate; off unless given (`{}` offers it with defaults). */
  compression?: CompressionOptions | false;
  /** Largest message (after decompression) accepted, in bytes; larger ones close the connection with 1009. Default 10 MiB. */
  maxMessageSize?: number;
  /** Send a ping every N ms; off unless given. */
  pingInterval?: number;
  /** Close the connection when the pong has not come N ms after a ping. Default: `pingInterval`. */
  pingTimeout?: number;
  /**
   * Messages kept for a reader that is not reading (or a busy `onMessage` promise) before the socket
   * is paused; reading resumes when half of them have been read. Default 64. ws finishes the TCP
   * chunk in hand when paused, so a burst of small messages can overshoot by one socket read (typically ≤ 64 KiB on the wire).
   * Once `close()` has been called the socket reads again (to see the server's close frame) and
   * messages arriving beyond the bound are dropped.
   */
  maxQueuedMessages?: number;
  /** A server that does not answer our close frame within N ms is cut off. Default 5 s. */
  closeTimeout?: number;
  /** Where `onMessage` callback errors are reported. Default: `console`. */
  logger?: Logger;
}

/** ConnectOptions with every default applied and every value checked. */
export interface ResolvedConnectOptions {
  url: string;
  headers: Record<string, string>;
  subprotocols: readonly string[];
  connectTimeout: number;
  maxMessageSize: number;
  pingInterval: number | undefined;
  pingTimeout: number | undefined;
  maxQueuedMessages: number;
  closeTimeout: number;
  compression: CompressionOptions | false;
  onMessage: ConnectOptions['onMessage'];
  logger: Logger;
}

/** tornado's HTTPRequest connect_timeout default. */
export const DEFAULT_CONNECT_TIMEOUT = 20_000;

// RFC 6455 §4.1: each subprotocol is an RFC 2616 token (the same check as ws's).
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`|a-z~]+$/;
const PROTOCOL_HEADER = 'sec-websocket-protocol';

function positive(name: string, value: number | undefined, fallback: number): number;
function positive(name: string, value: number | undefined, fallback: undefined): number | undefined;
function positive(name: string, value: number | undefined, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`websocketConnect: ${name} must be a positive number, got ${String(value)}`);
  }
  return value;
}

function parseOffer(value: string): string[] {
  return String(value).split(',').map((p) => p.trim()).filter((p) => p !== '');
}

/**
 * Merges headers (request headers win) and takes the subprotocol offer out of them: wsgate sends
 * `Sec-WebSocket-Protocol` itself so that it, not ws, checks the server's answer (docs/ws-quirks.md#the-ws-client-and-subprotocols:
 * ws aborts a 101 that selects none of the offered protocols; docs/behaviour.md#client accepts it).
 */
export function resolveConnectOptions(target: string | URL | ConnectRequest, options: ConnectOptions = {}): ResolvedConnectOptions {
  const request: ConnectRequest = typeof target === 'string' || target instanceof URL ? { url: target } : target;
  if (!request || (typeof request.url !== 'string' && !(request.url instanceof URL))) {
    throw new TypeError('websocketConnect: the first argument must be a URL or { url, headers }');
  }
  const headers: Record<string, string> = {};
  let headerOffer: string[] | undefined;
  for (const [name, value] of [...Object.entries(options.headers ?? {}), ...Object.entries(request.headers ?? {})]) {
    if (value === undefined) continue;
    if (name.toLowerCase() === PROTOCOL_HEADER) headerOffer = parseOffer(value);
    else headers[name] = value;
  }
  const subprotocols = options.subprotocols ? [...options.subprotocols] : (headerOffer ?? []);
  for (const [i, protocol] of subprotocols.entries()) {
    if (typeof protocol !== 'string' || !TOKEN.test(protocol) || subprotocols.indexOf(protocol) !== i) {
      throw new TypeError(`websocketConnect: invalid or duplicated subprotocol ${JSON.stringify(protocol)}`);
    }
  }
  if (options.onMessage !== undefined && typeof options.onMessage !== 'function') {
    throw new TypeError('websocketConnect: onMessage must be a function');
  }
  const pingInterval = positive('pingInterval', options.pingInterval, undefined);
  const pingTimeout = positive('pingTimeout', options.pingTimeout, undefined);
  const maxQueuedMessages = positive('maxQueuedMessages', options.maxQueuedMessages, DEFAULTS.maxQueuedMessages);
  if (!Number.isInteger(maxQueuedMessages)) throw new RangeError(`websocketConnect: maxQueuedMessages must be an integer, got ${maxQueuedMessages}`);
  return {
    url: String(request.url),
    headers,
    subprotocols,
    connectTimeout: positive('connectTimeout', options.connectTimeout, DEFAULT_CONNECT_TIMEOUT),
    maxMessageSize: positive('maxMessageSize', options.maxMessageSize, DEFAULTS.maxMessageSize),
    pingInterval,
    pingTimeout: pingInterval ? (pingTimeout ?? pingInterval) : undefined,
    maxQueuedMessages,
    closeTimeout: positive('closeTimeout', options.closeTimeout, DEFAULTS.closeTimeout),
    compression: options.compression ?? false,
    onMessage: options.onMessage,
    logger: options.logger ?? console,
  };
}
