/**
 * Sharing an HTTP server's 'upgrade' event: wsgate answers the paths its gateways serve and leaves
 * the others to the server's other listeners (graphql-ws, socket.io, a ws server, another app).
 * Only when every listener is a wsgate app and none took the request does the last one answer 404.
 * @module
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { abortSocket, reject } from '../server/handshake';

export type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
type HandleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean;

/** The 'upgrade' listeners of every wsgate app, and the requests one of them took. */
const wsgateListeners = new WeakSet<object>();
const taken = new WeakSet<IncomingMessage>();

/** The listener an app puts on `server`: takes its own paths, answers 404 only when nobody else can. */
export function upgradeListener(server: HttpServer | HttpsServer, handleUpgrade: HandleUpgrade): UpgradeListener {
  const listener: UpgradeListener = (req, socket, head) => {
    if (taken.has(req)) return;
    if (handleUpgrade(req, socket, head)) {
      taken.add(req);
      return;
    }
    const listeners = server.listeners('upgrade');
    if (listeners[listeners.length - 1] === listener && listeners.every((l) => wsgateListeners.has(l))) {
      socket.on('error', () => undefined);
      abortSocket(socket, reject(404, 'Not Found'));
    }
  };
  wsgateListeners.add(listener);
  return listener;
}

/**
 * handshakeTimeout on a server wsgate did not create: Node cuts a request whose headers are not
 * complete after `headersTimeout` (only lowered here; plain requests' bodies keep their own
 * `requestTimeout`), checking every `connectionsCheckingInterval`, which Node reads when the
 * server starts listening: so a server attached before listen() is checked every second, one
 * already listening at its own interval (30 s by default). Returns what restores the server.
 */
export function applyHandshakeTimeout(server: HttpServer | HttpsServer, handshakeTimeout: number): () => void {
  const before = server.headersTimeout;
  if (before === 0 || before > handshakeTimeout) server.headersTimeout = handshakeTimeout;
  // A public field of http.Server that @types/node does not declare.
  const s = server as (HttpServer | HttpsServer) & { connectionsCheckingInterval: number };
  if (!server.listening) s.connectionsCheckingInterval = Math.min(s.connectionsCheckingInterval, 1000, handshakeTimeout);
  return () => {
    if (server.headersTimeout === handshakeTimeout) server.headersTimeout = before;
  };
}
