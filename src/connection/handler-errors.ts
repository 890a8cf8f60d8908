/**
 * The one place where an exception from user code (a gateway hook, the client's onMessage
 * callback) becomes a log line and a close code, as tornado's `_run_callback` does:
 * - `WebSocketError(code, reason)` is the documented way to close with a code: logged at debug
 *   level only, the connection closes with that code (an invalid code is a bug: 1011, logged);
 * - `WebSocketClosedError` from a write that raced the peer's close is no bug of the handler: not logged;
 * - anything else is logged as an error naming the hook, and the connection closes with 1011.
 * @module
 */
import { CloseCode, MAX_CLOSE_REASON_BYTES, noop } from '../constants';
import { WebSocketClosedError, WebSocketError } from '../errors';
import type { Logger } from '../types';
import { isValidCloseCode } from './close-codes';

/** What a failing handler's connection must offer: whether it is open, and how to close it. */
export interface ClosableConnection {
  readonly isOpen: boolean;
  close(code?: number, reason?: string): Promise<void>;
}

/**
 * Logs `err` from the user code `what` ("EchoGateway.onMessage (@OnMessage)") and closes `conn`
 * with the code it calls for, unless it is already closing.
 */
export function handleUserError(conn: ClosableConnection, logger: Logger, what: string, err: unknown): void {
  let code: number = CloseCode.internalError;
  let reason = 'Internal error';
  if (err instanceof WebSocketError && isValidCloseCode(err.code) && typeof err.reason === 'string' && Buffer.byteLength(err.reason) <= MAX_CLOSE_REASON_BYTES) {
    logger.debug?.(`wsgate: ${what} closed the connection with ${err.code}${err.reason ? ` "${err.reason}"` : ''}`);
    code = err.code;
    reason = err.reason;
  } else if (err instanceof WebSocketError) {
    logger.error(`wsgate: ${what} threw a WebSocketError with an invalid close code or reason, closing with 1011:`, err);
  } else if (!(err instanceof WebSocketClosedError && !conn.isOpen)) {
    logger.error(`wsgate: ${what} failed:`, err);
  }
  if (conn.isOpen) conn.close(code, reason).catch(noop);
}
