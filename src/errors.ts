/**
 * Error classes thrown or rejected by wsgate. Every class has a stable `name`.
 * @module
 */

/** Marks every wsgate error, across realms and copies of the package (see `MessageError.is`). */
const kWsgateError = Symbol.for('wsgate.error');

/** What every wsgate error class shares: the cross-realm marker. */
abstract class WsgateError extends Error {
  /** `Symbol.for('wsgate.error')`: true on every error wsgate creates. */
  readonly [kWsgateError] = true;
}

/**
 * Thrown by a handler to close its connection with a chosen close code.
 * Any other exception closes with 1011 (internal error).
 *
 * @example
 * ```ts
 * @OnMessage() onMessage(m: string) { if (!m) throw new WebSocketError(4003, 'empty message'); }
 * ```
 */
export class WebSocketError extends WsgateError {
  override name = 'WebSocketError';
  constructor(
    /** RFC 6455 §7.4 close code (1000–1014 except 1004–1006, or 3000–4999). */
    readonly code: number,
    /** Close reason sent to the peer (at most 123 bytes of UTF-8). */
    readonly reason = '',
  ) {
    super(reason ? `WebSocket closed with ${code}: ${reason}` : `WebSocket closed with ${code}`);
  }
}

/**
 * Writing to, pinging or reading from a connection that is closed or closing.
 * Mirrors tornado's `WebSocketClosedError`.
 */
export class WebSocketClosedError extends WsgateError {
  override name = 'WebSocketClosedError';
  constructor(message = 'WebSocket connection is closed') {
    super(message);
  }
}

/** The server answered the upgrade request with something other than 101 Switching Protocols. */
export class WebSocketHandshakeError extends WsgateError {
  override name = 'WebSocketHandshakeError';
  constructor(
    message: string,
    /** HTTP status of the answer; 0 when the answer was not HTTP at all. */
    readonly status: number,
  ) {
    super(message);
  }
}

/** An operation (such as `websocketConnect`'s `connectTimeout`) did not finish in time. */
export class TimeoutError extends WsgateError {
  override name = 'TimeoutError';
}

/**
 * `websocketConnect` could not reach the server: connection refused, DNS failure, reset before
 * the answer, TLS failure. `code` is Node's system error code; `cause` the original error.
 *
 * @example
 * ```ts
 * try { await websocketConnect('ws://127.0.0.1:1/'); }
 * catch (err) { if (err instanceof WebSocketConnectError && err.code === 'ECONNREFUSED') retryLater(); }
 * ```
 */
export class WebSocketConnectError extends WsgateError {
  override name = 'WebSocketConnectError';
  constructor(
    message: string,
    /** Node's system error code (`ECONNREFUSED`, `ENOTFOUND`, …), when there is one. */
    readonly code: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A gateway class or app option is invalid; raised by `createApp` with the class name in the message. */
export class GatewayDefinitionError extends WsgateError {
  override name = 'GatewayDefinitionError';
}

/**
 * Thrown by a guard to refuse a handshake with an HTTP status (401, 403, 429, …), a short
 * plain-text message and extra headers (e.g. `WWW-Authenticate`). With the gateway option
 * `rejectWith: 'close'` the refusal is a close frame with code 4000 + status instead.
 *
 * @example
 * ```ts
 * throw new HandshakeRejection(401, 'token required', { 'WWW-Authenticate': 'Bearer' });
 * ```
 */
export class HandshakeRejection extends WsgateError {
  override name = 'HandshakeRejection';
  constructor(
    /** The HTTP status answered: 400–599. */
    readonly status: number,
    message = '',
    /** Extra response headers. A name or value with CR or LF is a programming error (answered 500). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** A broker (pub/sub backend) could not carry out a subscribe or publish. */
export class BrokerError extends WsgateError {
  override name = 'BrokerError';
}


/**
 * An error answer of the contract protocol. Thrown by a contract handler, it becomes an error reply
 * `{ id, error: { code, message, data } }` (the connection stays open); a typed client's `call`
 * rejects with it when the server answered with an error. `data` is checked against the
 * contract's `errors[code]` schema when `validateOutgoing` is on.
 *
 * @example
 * ```ts
 * throw new MessageError('RATE_LIMITED', 'slow down', { retryAfterMs: 1000 });
 * ```
 */
export class MessageError<Code extends string = string, Data = unknown> extends WsgateError {
  override name = 'MessageError';
  constructor(
    /** The error code: one of the contract's `errors` or a code wsgate sends (`VALIDATION`, `INTERNAL`, …). */
    readonly code: Code,
    message = '',
    /** Data declared for this code in the contract's `errors`. */
    readonly data?: Data,
    /** For `VALIDATION`: what was wrong and where (`path`: keys and indexes). */
    readonly issues?: ReadonlyArray<{ message: string; path: ReadonlyArray<string | number> }>,
  ) {
    super(message || code);
  }

  /** Whether `value` is a `MessageError`, also one from another realm or another copy of wsgate. */
  static is(value: unknown): value is MessageError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kWsgateError] === true && (value as Error).name === 'MessageError';
  }
}
