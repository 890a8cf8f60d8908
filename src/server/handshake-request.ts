/**
 * The upgrade request as a connection keeps it: a small snapshot, so that the `http.IncomingMessage`
 * (and its streams' state) can be collected once the 101 has been sent.
 * @module
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { clientAddress, type ProxyTrust } from '../auth/client-address';
import { isBearerProtocol } from '../auth/credentials';
import { BEARER_PROTOCOL_PREFIX } from '../protocol/client/bearer';
import { parseProtocolList } from './handshake';

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
  /**
   * The peer's IP address (`undefined` if the socket was already gone at the handshake). With the
   * app's `trustProxy`, the client's address as the trusted proxies recorded it.
   */
  readonly remoteAddress: string | undefined;
  /** The peer's TCP port (`undefined` if the socket was already gone at the handshake); the socket's, even with `trustProxy`. */
  readonly remotePort: number | undefined;
  /** Whether the connection runs over TLS (`wss://`). */
  readonly encrypted: boolean;
  /** The query string of `url`, parsed on first use (an empty set when there is none). */
  readonly query: URLSearchParams;
}

/** Fields whose repeats Node drops (it keeps the first), as `IncomingMessage.headers` does. */
const SINGLE_VALUED = new Set([
  'age', 'authorization', 'content-length', 'content-type', 'etag', 'expires', 'from', 'host', 'if-modified-since',
  'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'referer', 'retry-after',
  'server', 'user-agent',
]);

/** `IncomingMessage.headers` rebuilt from `rawHeaders` (names and values alternating), with Node's rules for repeats. */
function parseHeaders(raw: readonly string[]): IncomingHttpHeaders {
  const headers: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    let value = raw[i + 1];
    if (name === 'sec-websocket-protocol') {
      const kept = withoutTokens(value);
      if (kept === '' && value !== '') continue; // it offered a token only
      value = kept;
    }
    const previous = headers[name];
    if (previous === undefined) headers[name] = name === 'set-cookie' ? [value] : value;
    else if (name === 'set-cookie') (previous as string[]).push(value);
    else if (!SINGLE_VALUED.has(name)) headers[name] = `${previous as string}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  return headers;
}

/** A Sec-WebSocket-Protocol value without its `wsgate.bearer.*` entries: a token is never kept where it could be logged. */
function withoutTokens(value: string): string {
  if (!value.includes(BEARER_PROTOCOL_PREFIX)) return value;
  return parseProtocolList(value)
    .filter((p) => !isBearerProtocol(p))
    .join(', ');
}

// A separator no header can contain (HTTP forbids NUL in field names and values).
const SEP = '\0';

class RequestSnapshot implements HandshakeRequest {
  // Most connections never read the query or the headers again after the handshake: the headers are
  // kept as one flat string (about 250 bytes less per idle connection than Node's object of strings)
  // and parsed on first use only; the query likewise.
  #query: URLSearchParams | undefined = undefined;
  #headers: IncomingHttpHeaders | undefined = undefined;

  constructor(
    readonly method: string, readonly url: string, readonly httpVersion: string, private readonly rawHeaders: string,
    readonly remoteAddress: string | undefined, readonly remotePort: number | undefined, readonly encrypted: boolean,
  ) {}

  get headers(): Readonly<IncomingHttpHeaders> {
    return (this.#headers ??= parseHeaders(this.rawHeaders.split(SEP)));
  }

  get query(): URLSearchParams {
    if (this.#query === undefined) {
      const at = this.url.indexOf('?');
      this.#query = new URLSearchParams(at === -1 ? '' : this.url.slice(at + 1));
    }
    return this.#query;
  }
}

// Node builds `httpVersion` anew for every request: the usual value is kept as one shared string.
const HTTP_1_1 = '1.1';

/**
 * Copies what a connection keeps of its upgrade request; nothing in it refers back to `req`. With
 * `trust` (the app's `trustProxy`), `remoteAddress` is the client's address read through the proxies.
 */
export function snapshotRequest(req: IncomingMessage, trust?: ProxyTrust): HandshakeRequest {
  const socket = req.socket as IncomingMessage['socket'] & { encrypted?: boolean };
  const remoteAddress = trust ? clientAddress(socket.remoteAddress, req.headers, trust) : socket.remoteAddress;
  const httpVersion = req.httpVersion === HTTP_1_1 ? HTTP_1_1 : req.httpVersion;
  return new RequestSnapshot(
    req.method ?? 'GET', req.url ?? '/', httpVersion, req.rawHeaders.join(SEP), remoteAddress, socket.remotePort, socket.encrypted === true,
  );
}
