/**
 * The HTTP side of the handshake: the checks of docs/behaviour.md#handshake in tornado's order, and the plain-text
 * answers that reject a request without leaving its socket half-open.
 * @module
 */
import { STATUS_CODES, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** A refusal: the HTTP status, a short plain-text body, and extra headers. */
export interface Rejection {
  readonly status: number;
  readonly message: string;
  readonly headers?: OutgoingHttpHeaders;
}

export function reject(status: number, message: string, headers?: OutgoingHttpHeaders): Rejection {
  return { status, message, headers };
}

const KEY = /^[+/0-9A-Za-z]{22}==$/;

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
 * The default origin rule (tornado's check_origin): the origin's host:port must equal the
 * request's Host header.
 */
export function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return false;
  }
  // URL drops default ports ('http://h:80' → 'h'); Host headers may carry them, so compare both spellings.
  const h = host.toLowerCase();
  return originHost === h || originHost === h.replace(/:(80|443)$/, '');
}

/** The offered subprotocols, in order (empty when none). */
export function offeredSubprotocols(req: IncomingMessage): string[] {
  const header = req.headers['sec-websocket-protocol'];
  if (!header) return [];
  return header
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
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
