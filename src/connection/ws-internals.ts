/**
 * The one module that reads ws's private fields. ws offers no public way to reach the TCP socket
 * (TCP_NODELAY, corking), to tell whether its sender would write a frame at once (the fan-out's
 * prebuilt frames), or to see a frame's 64-bit length before it refuses it. Everything here was
 * checked against the ws versions that package.json allows (`WS_CHECKED_RANGE`), and
 * test/connection/ws-internals.test.ts fails loudly when an upgrade renames a field.
 * @module
 */
import type { Socket } from 'node:net';
import * as wsModule from 'ws';
import type { WebSocket } from 'ws';
import { CloseCode } from '../constants';

/** The ws versions whose internals this module was checked against (package.json pins the same range). */
export const WS_CHECKED_RANGE = '~8.23.0';

/** ws 8.x: lib/websocket.js and lib/sender.js. */
interface WsPrivate {
  _socket?: Socket;
  _sender?: { _state: number; _bufferedBytes: number };
  _extensions?: Record<string, unknown>;
}

/** ws 8.x lib/receiver.js: the unread chunks and the 64-bit length step. */
interface ReceiverPrivate {
  _bufferedBytes: number;
  _buffers: Buffer[];
  getPayloadLength64(cb: (err?: Error) => void): void;
}

/** ws exports its Receiver class at run time; @types/ws does not declare it. */
const Receiver = (wsModule as unknown as { Receiver: { prototype: object } }).Receiver;

/** ws's Sender state when it is neither deflating nor reading a Blob, i.e. it would write at once. */
const SENDER_IDLE = 0;

/** The TCP (or TLS) socket under a ws.WebSocket; `undefined` before the handshake and after ws let go of it. */
export function netSocketOf(ws: WebSocket): Socket | undefined {
  return (ws as WebSocket & WsPrivate)._socket;
}

/**
 * The TCP socket when ws would write a frame on it at once (no permessage-deflate, sender idle), so
 * that a prebuilt frame written there keeps its place among ws's own frames; `undefined` otherwise.
 */
export function directWriteSocket(ws: WebSocket): Socket | undefined {
  const { _socket: socket, _sender: sender, _extensions: extensions } = ws as WebSocket & WsPrivate;
  if (!socket || !sender || sender._state !== SENDER_IDLE || extensions?.['permessage-deflate']) return undefined;
  return socket;
}

/** Bytes not yet flushed on a socket from `directWriteSocket`: the socket's own buffer plus ws's queue. */
export function unflushedBytes(ws: WebSocket, socket: Socket): number {
  return socket.writableLength + ((ws as WebSocket & WsPrivate)._sender?._bufferedBytes ?? 0);
}

type ErrorWithStatus = Error & { code?: string } & Record<symbol, unknown>;

/**
 * RFC 6455 §5.2: a 64-bit length must have its most significant bit clear. ws refuses every length
 * above 2^53 − 1 alike, with 1009 (too big) and without keeping the length. A length up to 2^63 − 1
 * is legal, merely too big (1009 stays); one with the top bit set is a protocol error (1002). The
 * length's first byte is peeked before ws consumes it, and the status (under ws's
 * `Symbol('status-code')`) is set before ws sends its close frame. Installed once on ws's
 * Receiver, so it costs nothing per connection; it applies to every ws receiver in the process,
 * which only makes them answer this malformed frame as RFC 6455 says.
 */
function installTopBitCheck(): void {
  const proto = Receiver.prototype as unknown as ReceiverPrivate & { [kInstalled]?: true };
  if (proto[kInstalled]) return;
  const original = proto.getPayloadLength64;
  proto[kInstalled] = true;
  proto.getPayloadLength64 = function (this: ReceiverPrivate, cb: (err?: Error) => void): void {
    const topBitSet = this._bufferedBytes >= 8 && (this._buffers[0][0] & 0x80) !== 0;
    if (!topBitSet) return original.call(this, cb);
    original.call(this, (err?: Error) => {
      if (err) markProtocolError(err as ErrorWithStatus);
      cb(err);
    });
  };
}

function markProtocolError(err: ErrorWithStatus): void {
  if (err.code !== 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH') return;
  const status = Object.getOwnPropertySymbols(err).find((s) => s.description === 'status-code');
  if (status) err[status] = CloseCode.protocolError;
}

const kInstalled = Symbol.for('wsgate.topBitCheck');
installTopBitCheck();

/** @internal For the test that guards this module: the names above, as ws spells them today. */
export function describeInternals(ws: WebSocket): Record<string, string> {
  const w = ws as WebSocket & WsPrivate & { _receiver?: ReceiverPrivate };
  return {
    _socket: typeof w._socket?.write,
    '_sender._state': typeof w._sender?._state,
    '_sender._bufferedBytes': typeof w._sender?._bufferedBytes,
    _extensions: typeof w._extensions,
    '_receiver._buffers': Array.isArray(w._receiver?._buffers) ? 'array' : typeof w._receiver?._buffers,
    '_receiver._bufferedBytes': typeof w._receiver?._bufferedBytes,
    'Receiver.prototype.getPayloadLength64': typeof (Receiver.prototype as unknown as ReceiverPrivate).getPayloadLength64,
  };
}
