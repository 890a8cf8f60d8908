/**
 * websocketConnect(): tornado's `websocket_connect` for Node, on the ws client.
 * @module
 */
import { WebSocket, type ClientOptions } from 'ws';
import { kAttach, kFinished, noop } from '../constants';
import { WebSocketConnectError } from '../errors';
import { handleUserError } from '../connection/handler-errors';
import type { SocketLifecycle } from '../connection/websocket-connection';
import { ClientConnection } from './client-connection';
import { connectTimedOut, handshakeFailed, takeSelectedSubprotocol, unexpectedResponse } from './handshake';
import { resolveConnectOptions, type ConnectOptions, type ConnectRequest, type ResolvedConnectOptions } from './options';
import { toPerMessageDeflate } from '../connection/compression';
import { MessageQueue } from './inbox';
import { decodeFrame } from '../connection/serialize';

/**
 * Opens a WebSocket connection. Resolves once the server has answered 101 Switching Protocols.
 * Rejects with `WebSocketHandshakeError` (carrying the HTTP `status`) for any other answer, a 200
 * page included (redirects are not followed); with `TimeoutError` when the handshake is not done
 * within `connectTimeout` (the socket is destroyed); with `WebSocketConnectError` when the server
 * cannot be reached (refused, DNS failure). A 101 that selects none of the offered subprotocols is
 * accepted (`selectedSubprotocol` is then `undefined`), as tornado does.
 * Mirrors tornado's `websocket_connect`. The promise may be left unawaited.
 *
 * @example
 * ```ts
 * const conn = await websocketConnect('ws://127.0.0.1:8888/websocket', { connectTimeout: 5000 });
 * await conn.writeMessage('Hello, world');
 * const reply = await conn.readMessage(); // 'You said: Hello, world'; null once closed
 * ```
 */
export function websocketConnect(target: string | URL | ConnectRequest, options?: ConnectOptions): Promise<ClientConnection> {
  let connecting: Promise<ClientConnection>;
  try {
    connecting = open(resolveConnectOptions(target, options));
  } catch (err) {
    connecting = Promise.reject(err);
  }
  connecting.catch(noop);
  return connecting;
}

/** The URL as shown in errors and `conn.url`: without user:password. */
function displayUrl(href: string): string {
  const url = new URL(href);
  url.username = '';
  url.password = '';
  return url.href;
}

function open(o: ResolvedConnectOptions): Promise<ClientConnection> {
  return new Promise((resolve, reject) => {
    // The offer travels as a plain header; ws is told of no protocols so that it leaves the
    // answer to takeSelectedSubprotocol (see there).
    const headers = o.subprotocols.length ? { ...o.headers, 'Sec-WebSocket-Protocol': o.subprotocols.join(', ') } : o.headers;
    const clientOptions: ClientOptions & { closeTimeout: number } = {
      headers,
      perMessageDeflate: toPerMessageDeflate(o.compression),
      maxPayload: o.maxMessageSize,
      followRedirects: false,
      // ws ≥ 8.23: a server that does not answer our close frame is cut off after closeTimeout ms.
      closeTimeout: o.closeTimeout,
    };
    const ws = new WebSocket(o.url, [], clientOptions);
    const url = displayUrl(ws.url);
    const inbox = new MessageQueue({
      maxQueued: o.maxQueuedMessages,
      onMessage: o.onMessage,
      onCallbackError: (err) => callbackFailed(conn, o, err),
    });
    const conn = new ClientConnection(url, inbox, o.onMessage !== undefined);
    const lifecycle: SocketLifecycle = {
      onClosing: () => inbox.closingStarted(),
      onEnded: () => {
        inbox.end();
        conn[kFinished]();
      },
    };

    let settled = false;
    let answered101 = false;
    let subprotocol: string | undefined;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(err);
      ws.terminate(); // while connecting: aborts the request and destroys the socket
    };
    const timer = setTimeout(() => fail(connectTimedOut(url, o.connectTimeout)), o.connectTimeout);

    // Emitted by ws for a 101, before it checks the answer's headers.
    ws.on('upgrade', (res) => {
      answered101 = true;
      const selected = takeSelectedSubprotocol(url, res, o.subprotocols);
      if (selected instanceof Error) fail(selected);
      else subprotocol = selected;
    });
    // With this listener ws neither follows the answer nor aborts by itself: fail() does.
    ws.on('unexpected-response', (_req, res) => fail(unexpectedResponse(url, res)));
    ws.on('error', (err: Error) => fail(handshakeFailed(url, err, answered101)));
    ws.on('close', () => fail(new WebSocketConnectError(`websocketConnect ${url}: closed during the handshake`, undefined)));
    // Listening from the start: a server's first frames can come in the same TCP chunk as its 101.
    ws.on('message', (data: Buffer, isBinary: boolean) => inbox.push(decodeFrame(data, isBinary)));
    ws.once('open', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      inbox.attach(ws);
      conn[kAttach](ws, lifecycle, o, subprotocol);
      resolve(conn);
    });
  });
}

/** The onMessage callback threw or rejected: logged, and the connection closes (1011 or the WebSocketError's code). */
function callbackFailed(conn: ClientConnection, o: ResolvedConnectOptions, err: unknown): void {
  handleUserError(conn, o.logger, `websocketConnect ${conn.url}: onMessage callback`, err);
}
