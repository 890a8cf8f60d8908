/** Close codes of RFC 6455 §7.4.1 that wsgate itself sends. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  invalidPayload: 1007,
  policyViolation: 1008,
  messageTooBig: 1009,
  internalError: 1011,
  tryAgainLater: 1013,
  /** Credentials expired, or their refresh was refused (4000 + HTTP 401, as `rejectWith: 'close'` answers). */
  credentials: 4401,
} as const;

/** ws reports these when the peer sent no code (1005) or the TCP connection dropped (1006). */
export const NO_STATUS_RECEIVED = 1005;
export const ABNORMAL_CLOSURE = 1006;

export const DEFAULTS = {
  maxMessageSize: 10 * 1024 * 1024,
  /** Contract gateways: JSON envelopes rarely need more; the app's option still applies when lower. */
  contractMaxMessageSize: 1024 * 1024,
  maxQueuedMessages: 64,
  closeTimeout: 5_000,
  handshakeTimeout: 10_000,
  maxBackpressure: 1024 * 1024,
  /**
   * A handler's return value is sent without holding the next message unless the socket already
   * buffers this many bytes (Node's default stream high-water mark); then the next one waits for the flush.
   */
  replyHighWaterMark: 16 * 1024,
  /** Contract gateways: `$auth.expiring` is sent this long before the credentials expire (at most half the time left). */
  refreshLead: 30_000,
} as const;

/** Per-request handshake state, stashed on the IncomingMessage for ws's synchronous handleProtocols. */
export const kHandshake = Symbol('wsgate.handshake');
/** Internal members of connections, reachable by the runtime but not part of the public surface. */
export const kSocket = Symbol('wsgate.socket');
export const kAttach = Symbol('wsgate.attach');
export const kFinished = Symbol('wsgate.finished');
export const kSend = Symbol('wsgate.send');
export const kUncork = Symbol('wsgate.uncork');
export const kCork = Symbol('wsgate.cork');
/** Set on a ws.WebSocket: its connection and (server side) its dispatcher, so listeners can be shared functions. */
export const kConnection = Symbol('wsgate.connection');
export const kDispatcher = Symbol('wsgate.dispatcher');
/** A server connection's link to its app's hub and its gateway's slow-consumer limits. */
export const kPubSub = Symbol('wsgate.pubsub');
/** A contract connection's protocol session. */
export const kSession = Symbol('wsgate.session');
/** A server connection's authentication state (principal, expiry, the guard that set them). */
export const kAuth = Symbol('wsgate.auth');
export const kGatewayMetadata = Symbol('wsgate.gateway');

/** A close frame's reason is at most this many bytes of UTF-8 (RFC 6455 §5.5). */
export const MAX_CLOSE_REASON_BYTES = 123;

/** setTimeout's largest delay: beyond 2^31 − 1 ms it fires after 1 ms, so longer waits are capped here. */
export const MAX_TIMER_DELAY = 2 ** 31 - 1;

export const noop = (): void => {};

/** Whether user code returned a promise (or any thenable): the one test the runtime uses for it. */
export function isThenable<T = unknown>(value: unknown): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | null)?.then === 'function';
}
