/**
 * websocketConnect for tests (every connection is cut after the test) and hand-made servers
 * (plain `net`/`http` on 127.0.0.1:0) that answer the upgrade however a test needs.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { ClientConnection, websocketConnect, type ConnectOptions, type ConnectRequest } from '../../src';
import { kSocket } from '../../src/constants';
import { onCleanup } from './cleanup';
import { readHead } from './http';

/** websocketConnect; the connection is terminated after the test. */
export async function connectClient(target: string | ConnectRequest, options?: ConnectOptions): Promise<ClientConnection> {
  const conn = await websocketConnect(target, options);
  onCleanup(() => conn[kSocket]?.terminate());
  return conn;
}

/** The error a promise rejected with; fails the test (and cleans up) when it resolved. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  let value: unknown;
  try {
    value = await promise;
  } catch (err) {
    return err as Error;
  }
  if (value instanceof ClientConnection) value[kSocket]?.terminate();
  throw new Error(`expected a rejection, got ${String(value)}`);
}

export interface TcpServer {
  readonly port: number;
  /** Every socket accepted so far. */
  readonly sockets: Socket[];
}

/** A plain TCP server on 127.0.0.1:0 that hands each accepted socket to `onSocket`; closed after the test. */
export async function startTcpServer(onSocket: (socket: Socket) => void): Promise<TcpServer> {
  const sockets: Socket[] = [];
  const server = createTcpServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  onCleanup(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, sockets };
}

/**
 * A plain HTTP server on 127.0.0.1:0; closed after the test. It has no 'upgrade' listener, so Node
 * hands upgrade requests to `handler` like any other request.
 */
export async function startHttpServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ port: number; requests: IncomingMessage[] }> {
  const requests: IncomingMessage[] = [];
  const server = createHttpServer((req, res) => {
    requests.push(req);
    handler(req, res);
  });
  onCleanup(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, requests };
}

/** Reads a raw socket up to the end of the HTTP request head; returns its lower-cased headers. */
export async function readRequestHead(socket: Socket): Promise<Record<string, string>> {
  return (await readHead(socket)).headers;
}

/** RFC 6455 §4.2.2: Sec-WebSocket-Accept for a Sec-WebSocket-Key. */
export function acceptKey(key: string): string {
  return createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
}

/** Writes a 101 answer for `headers` (the request's), with extra header lines. */
export function answer101(socket: Socket, headers: Record<string, string>, extra: Record<string, string> = {}): void {
  const lines = [
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${acceptKey(headers['sec-websocket-key'])}`,
    ...Object.entries(extra).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
}
