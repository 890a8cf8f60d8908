/**
 * The HTTP side of the handshake: the checks of docs/behaviour.md#handshake in tornado's order, and the plain-text
 * answers that reject a request without leaving its socket half-open.
 * @module
 */
import { STATUS_CODES, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RouteMatch } from './router';

/** A refusal: the HTTP status, a short plain-text body, and extra headers. */
export interface Rejection {
  readonly status: number;
  readonly message: string;
  readonly headers?: OutgoingHttpHeaders;
  /** A refusal of the guards or the rate limit, which `rejectWith: 'close'` sends as a close frame instead. */
  readonly fromAuth?: boolean;
}

export function reject(status: number, message: string, headers?: OutgoingHttpHeaders): Rejection {
  return { status, message, headers };
}

/** The answer to a failure of ours or of user code during the handshake (logged where it happens). */
export const INTERNAL_ERROR = reject(500, 'Internal Server Error');

const KEY = /^[+/0-9A-Za-z]{22}==$/;

/**
 * The answer to a plain HTTP request (no 'upgrade' event), given how it routed: 426 for a gateway
 * path (it needs an upgrade), 400 for an upgrade whose Connection header lacks 'upgrade' (Node never
 * raises 'upgrade' for it), 404 elsewhere.
 */
export function answerPlainRequest(req: IncomingMessage, routed: RouteMatch<unknown> | Rejection | undefined): Rejection {
  if (!routed) return reject(404, 'Not Found');
  if ('status' in routed) return routed;
  if (req.method !== 'GET') return reject(405, 'WebSocket upgrades must use GET.', { Allow: 'GET' });
  if (req.headers.upgrade?.toLowerCase() === 'websocket') return reject(400, 'The Connection header must include "upgrade".');
  return reject(426, 'This is a WebSocket endpoint: upgrade to "websocket".', { Upgrade: 'websocket', Connection: 'Upgrade, close' });
}

/** Method and Upgrade header (tornado checks these first), for a request that reached 'upgrade'. */
export function checkUpgradeRequest(req: IncomingMessage): Rejection | undefined {
  if (req.method !== 'GET') return reject(405, 'WebSocket upgrades must use GET.', { Allow: 'GET' });
  if (req.headers.upgrade?.toLowerCase() !== 'websocket') return reject(400, 'Can "Upgrade" only to "WebSocket".');
  return undefined;
}

/** Version and key, checked after the origin as tornado does. */
export function checkProtocolHeaders(req: IncomingMessage): Rejection | undefined {
  if (req.headers['sec-websocket-version'] !== '13') {
    return reject(426, 'Unsupported WebSocket version: use 13.', { 'Sec-WebSocket-Version': '13' });
  }
  const key = req.headers['sec-websocket-key'];
  if (key === undefined || !KEY.test(key.trim())) return reject(400, 'Missing or invalid Sec-WebSocket-Key header.');
  return undefined;
}

/**
 * The default origin rule (tornado's check_origin): the origin's `host[:port]` as written in the
 * Origin header (not URL-normalised, so `https://h` does not match `Host: h:443`) must equal the
 * request's Host header, case-insensitive. Opaque origins (`null`) never match.
 */
export function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  const scheme = origin.indexOf('://');
  if (scheme === -1) return false;
  const rest = origin.slice(scheme + 3);
  const end = rest.search(/[/?#]/);
  const netloc = end === -1 ? rest : rest.slice(0, end);
  return netloc.length > 0 && netloc.toLowerCase() === host.toLowerCase();
}

/** The entries of a Sec-WebSocket-Protocol value, in order; empty list elements are ignored (RFC 7230 §7). */
export function parseProtocolList(header: string): string[] {
  return header
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}

/** The offered subprotocols, in order (empty when none). */
export function offeredSubprotocols(req: IncomingMessage): string[] {
  const header = req.headers['sec-websocket-protocol'];
  return header ? parseProtocolList(header) : [];
}

/**
 * Rewrites Sec-WebSocket-Protocol without its empty elements (removed when nothing is left): ws's
 * parser answers 400 to `a,,b` or `,,,`, which RFC 7230 §7 says to read as `a, b` and as no offer.
 */
export function normalizeSubprotocolHeader(req: IncomingMessage): string[] {
  const offered = offeredSubprotocols(req);
  if (req.headers['sec-websocket-protocol'] === undefined) return offered;
  if (offered.length === 0) delete req.headers['sec-websocket-protocol'];
  else req.headers['sec-websocket-protocol'] = offered.join(', ');
  return offered;
}

/** Answers a request that arrived as an 'upgrade' event and ends its socket. */
export function abortSocket(socket: Duplex, { status, message, headers }: Rejection): void {
  if (!socket.writable || socket.destroyed) {
    socket.destroy();
    return;
  }
  const body = `${message}\n`;
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  for (const [name, value] of Object.entries(headers ?? {})) lines.push(`${name}: ${String(value)}`);
  socket.once('finish', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

/** Answers a plain HTTP request (no 'upgrade' event) and closes the connection. */
export function respond(res: ServerResponse, { status, message, headers }: Rejection): void {
  const body = `${message}\n`;
  res.writeHead(status, {
    Connection: 'close',
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}
