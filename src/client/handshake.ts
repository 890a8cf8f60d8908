/**
 * The client's side of the opening handshake that wsgate checks itself rather than leave to ws:
 * the selected subprotocol, and what each way of failing turns into.
 * @module
 */
import type { IncomingMessage as HttpResponse } from 'node:http';
import { TimeoutError, WebSocketConnectError, WebSocketHandshakeError } from '../errors';

/**
 * Reads and removes `Sec-WebSocket-Protocol` from a 101 answer, before ws looks at it (ws would
 * abort a 101 that selects none of the offered protocols; tornado and docs/behaviour.md#client accept it).
 * Returns the selected protocol (`undefined` for none), or an error when the server selected
 * one that was not offered.
 */
export function takeSelectedSubprotocol(url: string, res: HttpResponse, offered: readonly string[]): string | undefined | WebSocketHandshakeError {
  const selected = res.headers['sec-websocket-protocol'];
  delete res.headers['sec-websocket-protocol'];
  if (selected === undefined || selected === '') return undefined;
  if (offered.includes(selected)) return selected;
  const offer = offered.length ? `offered ${offered.join(', ')}` : 'none was offered';
  return new WebSocketHandshakeError(`websocketConnect ${url}: the server selected subprotocol ${JSON.stringify(selected)}, but ${offer}`, 101);
}

/** A complete answer other than 101: its status, and for a redirect where it pointed (redirects are not followed). */
export function unexpectedResponse(url: string, res: HttpResponse): WebSocketHandshakeError {
  const status = res.statusCode ?? 0;
  const location = res.headers.location;
  const redirect = status >= 300 && status < 400 && location ? ` (redirect to ${location} not followed)` : '';
  return new WebSocketHandshakeError(
    `websocketConnect ${url}: the server answered ${status} ${res.statusMessage ?? ''}`.trimEnd() + ` instead of 101 Switching Protocols${redirect}`,
    status,
  );
}

export function connectTimedOut(url: string, ms: number): TimeoutError {
  return new TimeoutError(`websocketConnect ${url}: no WebSocket handshake within ${ms} ms (connectTimeout)`);
}

const SYSTEM_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found (DNS)',
  EAI_AGAIN: 'DNS lookup failed temporarily',
  ECONNRESET: 'connection reset before the handshake answer',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

/**
 * What ws's 'error' before 'open' means: after a 101 (ws found the answer invalid) or for an
 * answer that is not HTTP at all, a `WebSocketHandshakeError` (status 101 / 0); for a failure to
 * reach the server (refused, DNS, reset, TLS), a `WebSocketConnectError` with the system code.
 */
export function handshakeFailed(url: string, err: Error & { code?: string }, answered101: boolean): Error {
  if (answered101) {
    return new WebSocketHandshakeError(`websocketConnect ${url}: invalid 101 answer: ${err.message}`, 101);
  }
  if (typeof err.code === 'string' && err.code.startsWith('HPE_')) {
    return new WebSocketHandshakeError(`websocketConnect ${url}: the answer is not HTTP (${err.code})`, 0);
  }
  const what = (err.code && SYSTEM_ERRORS[err.code]) || err.message;
  return new WebSocketConnectError(`websocketConnect ${url}: ${what}${err.code ? ` (${err.code})` : ''}`, err.code, { cause: err });
}
