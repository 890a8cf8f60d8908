/**
 * The upgrade request as a connection keeps it: a small snapshot, so that the `http.IncomingMessage`
 * (and its streams' state) can be collected once the 101 has been sent.
 * @module
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/**
 * The HTTP request that opened a WebSocket connection, as a snapshot taken at the handshake.
 * It is `conn.request` (tornado's `self.request`), readable from `@CheckOrigin` and `@Subprotocol`
 * (which run before the 101 answer) until after `@OnClose`. The underlying `http.IncomingMessage`
 * and its socket are not kept.
 *
 * @example
 * ```ts
 * @OnOpen() open() {
 *   const token = this.conn.request.query.get('token');
 *   console.log(this.conn.request.remoteAddress, this.conn.request.headers['user-agent'], token);
 * }
 * ```
 */
export interface HandshakeRequest {
  /** The request method (always `GET` for an accepted upgrade). */
  readonly method: string;
  /** The request target as sent: path and query string, e.g. `/chat/lobby?token=abc`. */
  readonly url: string;
  /** The HTTP version, e.g. `1.1`. */
  readonly httpVersion: string;
  /** The request headers, names in lower case (Node's `IncomingMessage.headers`). */
  readonly headers: Readonly<IncomingHttpHeaders>;
  /** The peer's IP address (`undefined` if the socket was already gone at the handshake). */
  readonly remoteAddress: string | undefined;
  /** The peer's TCP port (`undefined` if the socket was already gone at the handshake). */
  readonly remotePort: number | undefined;
  /** Whether the connection runs over TLS (`wss://`). */
  readonly encrypted: boolean;
  /** The query string of `url`, parsed on first use (an empty set when there is none). */
  readonly query: URLSearchParams;
}

class RequestSnapshot implements HandshakeRequest {
  readonly method: string;
  readonly url: string;
  readonly httpVersion: string;
  readonly headers: Readonly<IncomingHttpHeaders>;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly encrypted: boolean;
  // Most connections never read the query: parse it on first use only.
  #query: URLSearchParams | undefined = undefined;

  constructor(req: IncomingMessage) {
    this.method = req.method ?? 'GET';
    this.url = req.url ?? '/';
    this.httpVersion = req.httpVersion;
    this.headers = req.headers;
    const socket = req.socket as IncomingMessage['socket'] & { encrypted?: boolean };
    this.remoteAddress = socket.remoteAddress;
    this.remotePort = socket.remotePort;
    this.encrypted = socket.encrypted === true;
  }

  get query(): URLSearchParams {
    if (this.#query === undefined) {
      const at = this.url.indexOf('?');
      this.#query = new URLSearchParams(at === -1 ? '' : this.url.slice(at + 1));
    }
    return this.#query;
  }
}

/** Copies what a connection keeps of its upgrade request; nothing in it refers back to `req`. */
export function snapshotRequest(req: IncomingMessage): HandshakeRequest {
  return new RequestSnapshot(req);
}
