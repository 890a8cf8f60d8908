/**
 * Public option types.
 * @module
 */
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { DependencyContainer } from 'tsyringe';
import type { GuardClass, Handshake } from './auth/guard';
import type { HandshakeRequest } from './server/handshake-request';
import type { Broker } from './topics/brokers/broker';

/** Where wsgate reports handler errors. `console` fits. */
export interface Logger {
  error(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
  /** Expected events worth a trace (a deliberate `WebSocketError` close, a peer's `$error`); optional. */
  debug?(message: string, ...details: unknown[]): void;
}

/**
 * permessage-deflate (RFC 7692) settings; `{}` enables it with defaults.
 * Mirrors tornado's `get_compression_options()`.
 */
export interface CompressionOptions {
  /** zlib compression level, 0–9 (zlib default 6). */
  level?: number;
  /** zlib memLevel, 1–9 (default 8). */
  memLevel?: number;
  /**
   * Messages smaller than this many bytes are sent uncompressed (default 1024), **but only when the
   * sending side resets its context per message** (`serverNoContextTakeover` on the server,
   * `clientNoContextTakeover` on the client, as negotiated). With context takeover (the default) ws
   * compresses every message whatever its size.
   */
  threshold?: number;
  /** Reset the server's compression context after every message (less memory, worse ratio). */
  serverNoContextTakeover?: boolean;
  /** Ask the client to reset its compression context after every message. */
  clientNoContextTakeover?: boolean;
  /** LZ77 window of the server, 8–15. */
  serverMaxWindowBits?: number;
  /** LZ77 window of the client, 8–15. */
  clientMaxWindowBits?: number;
}

/** Settings that a gateway may override with `@Gateway(path, options)`. */
export interface GatewayOptions {
  /** Largest message (after decompression) accepted, in bytes; larger ones close with 1009. Default 10 MiB. */
  maxMessageSize?: number;
  /** permessage-deflate; off unless given. */
  compression?: CompressionOptions | false;
  /** Send a ping every N ms; off unless given. */
  pingInterval?: number;
  /** Close a connection whose pong has not come N ms after a ping. Default: `pingInterval`. */
  pingTimeout?: number;
  /**
   * Unflushed bytes a topic subscriber may have before `backpressurePolicy` applies to it
   * (a published message that would take it beyond). Default 1 MiB.
   */
  maxBackpressure?: number;
  /**
   * What happens to a subscriber beyond `maxBackpressure`: `'close'` closes it with 1013
   * (Try Again Later, the default); `'drop'` skips that message for it.
   */
  backpressurePolicy?: BackpressurePolicy;
  /**
   * Which `Origin` headers may open a connection: exact origins (`'https://chat.example.com'`, compared
   * case-insensitively) and patterns, or `'*'` for any. Checked before anything of the gateway is
   * built, and before `@CheckOrigin` when the gateway also has one. Without it (and without
   * `@CheckOrigin`) the default same-host rule applies. Requests without `Origin` pass (not browsers):
   * this is no authentication.
   */
  origins?: ReadonlyArray<string | RegExp> | '*';
  /**
   * Guards that decide, before the socket opens, who the client is and whether it may connect (see
   * `Guard`). They run in the order listed, after the origin rule, each built in the connection's
   * scope; the first to return `{ principal }` sets `conn.principal`. Given app-wide, they apply to
   * every gateway that does not list its own.
   */
  guards?: ReadonlyArray<GuardClass>;
  /**
   * How a refusal of the guards (or of the handshake rate limit) is answered: `'http'` (default)
   * with the HTTP status; `'close'` with a 101 and then, at once, a close frame with code
   * 4000 + status (4401, 4403, 4429) and the message as reason, because browsers cannot read the
   * status of a refused upgrade. No `@OnOpen` or `@OnClose` runs either way.
   */
  rejectWith?: 'http' | 'close';
  /**
   * Contract gateways: how long before the credentials expire the client is sent `$auth.expiring`
   * (at most half the time left), in ms. Default 30 s.
   */
  refreshLead?: number;
  /**
   * At most `points` handshakes per `duration` seconds from one key (by default the client's
   * address, an IPv6 address counted by its /64); past that, a handshake is answered 429 with
   * `Retry-After`. Checked right after routing, before the origin rule, the guards and the gateway
   * instance, so a refused handshake builds nothing. Handshakes later refused (origin, guards) count too.
   *
   * @example
   * ```ts
   * @Gateway('/chat/:room', { handshakeRateLimit: { points: 20, duration: 10 } })
   * ```
   * `false` on a gateway turns off the app-wide limit for it (a health-check endpoint, say).
   */
  handshakeRateLimit?: HandshakeRateLimit | false;
}

/**
 * What a handshake rate limit's `key` function reads: the request snapshot (with `trustProxy`,
 * `remoteAddress` is the client's address) and the path parameters.
 */
export type RateLimitKeyInput = Pick<Handshake, keyof HandshakeRequest | 'params'>;

/**
 * The `handshakeRateLimit` option: a budget of `points` handshakes per `duration` seconds (kept in
 * memory by a `RateLimiterMemory` of `rate-limiter-flexible`), or a `store` of that package that
 * keeps it (its `RateLimiterRedis` shares the budget across nodes; points and duration are then the
 * store's).
 *
 * @example
 * ```ts
 * import { RateLimiterRedis } from 'rate-limiter-flexible';
 * const store = new RateLimiterRedis({ storeClient: redis, useRedisPackage: true, rejectIfRedisNotReady: true,
 *                                      keyPrefix: 'ws-handshake', points: 20, duration: 10 });
 * createApp({ gateways, handshakeRateLimit: { store } });
 * ```
 */
export type HandshakeRateLimit = {
  /**
   * What one budget is counted by. Default: `h.remoteAddress`, an IPv6 address by its /64 prefix
   * (an IPv4-mapped one as the IPv4 address). Must return a string; a throw answers 500 and is logged.
   */
  key?: (h: RateLimitKeyInput) => string;
  /**
   * `'gateway'` (default): this gateway has its own budgets. `'app'`: one budget per key shared by
   * every gateway of the app whose limit has scope `'app'` (their points, duration and store must agree).
   */
  scope?: 'gateway' | 'app';
} & (
  | {
      /** Handshakes allowed per `duration` from one key (an integer ≥ 1). */
      points: number;
      /** The window, in seconds (> 0). */
      duration: number;
      store?: undefined;
    }
  | {
      /**
       * A limiter of `rate-limiter-flexible` that keeps the budget (e.g. `RateLimiterRedis`, to share it
       * across nodes); its `points` and `duration` apply. When it fails (rejects with an `Error`, e.g.
       * Redis is down) the handshake is let through and the failure logged. Give a Redis limiter
       * `rejectIfRedisNotReady: true` so that an outage fails at once instead of holding handshakes.
       */
      store: RateLimiterAbstract;
      /** When given, must equal the store's. */
      points?: number;
      /** When given, must equal the store's. */
      duration?: number;
    }
);

/** See `GatewayOptions.backpressurePolicy`. */
export type BackpressurePolicy = 'close' | 'drop';

/** Options of `createApp`. */
export interface AppOptions extends GatewayOptions {
  /** The gateway classes, each decorated with `@Gateway`. */
  gateways: ReadonlyArray<new (...args: never[]) => object>;
  /** tsyringe container to resolve gateways from. Default: tsyringe's root `container`. */
  container?: DependencyContainer;
  /**
   * Upgrades whose headers are not complete after N ms are cut off (slowloris), and an upgrade whose
   * asynchronous steps (a guard, the rate limit's store, `@CheckOrigin`, `@Subprotocol`) have not
   * answered N ms after it arrived is answered 503 and logged, so a hung hook cannot hold a
   * connection slot. Default 10 s.
   */
  handshakeTimeout?: number;
  /** Upgrades beyond this many open connections are answered 503. Default: unlimited. */
  maxConnections?: number;
  /** Messages waiting for a busy handler before the socket is paused. Default 64. */
  maxQueuedMessages?: number;
  /** A peer that does not answer our close frame within N ms is cut off. Default 5 s. */
  closeTimeout?: number;
  /** Where handler errors are reported. Default: `console`. */
  logger?: Logger;
  /**
   * Carries topics between the nodes of an application. Default: a `MemoryBroker` (this app
   * only). `RedisBroker` from `wsgate/redis` for several processes or machines. One broker per app.
   */
  broker?: Broker;
  /**
   * Which peers are proxies whose `X-Forwarded-For` (or, without it, `Forwarded: for=`) is
   * believed, as Express's `trust proxy`: a hop count (`1`: the socket's peer is a proxy, the client
   * is the last address it recorded), or the proxies' addresses and CIDR ranges (IPv4 and IPv6,
   * `'loopback'`, `'linklocal'`, `'uniquelocal'`). `conn.request.remoteAddress` (and what
   * `handshakeRateLimit` counts by) is then the first untrusted address from the right; the socket's
   * address when a header is malformed. Default `false`: the socket's address, headers ignored.
   */
  trustProxy?: TrustProxy;
}

/** See `AppOptions.trustProxy`. */
export type TrustProxy = false | number | readonly string[];

/** Options of `writeMessage`. */
export interface WriteOptions {
  /** Send a string as a binary frame. */
  binary?: boolean;
}

/** Options of `app.close()`. */
export interface AppCloseOptions {
  /** Close code sent to every connection. Default 1001. */
  code?: number;
  /** Close reason sent to every connection. Default 'Going Away'. */
  reason?: string;
  /**
   * Bounds the whole shutdown, user code included: connections that have not ended after N ms are
   * terminated (TCP cut, `@OnClose` still runs), and `@OnClose` hooks or disposals still running
   * then are logged and no longer waited for. Default: the app's `closeTimeout`.
   */
  timeout?: number;
  /**
   * Drain first: stop reading every connection (messages queued or arriving are dropped, never
   * delivered), let the handlers already running finish and their replies flush, then send the
   * close frame. Within the same `timeout`. Default false.
   */
  drain?: boolean;
}

/** Any message `writeMessage` accepts: strings, bytes, or JSON-serializable values. */
export type OutgoingMessage = string | Buffer | Uint8Array | ArrayBuffer | object | number | boolean | null;

/** A message as delivered to `@OnMessage`: text frames as `string`, binary frames as `Buffer`. */
export type IncomingMessage = string | Buffer;
