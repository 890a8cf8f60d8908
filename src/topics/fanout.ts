/**
 * Sends one published message to many local subscribers: encoded once, framed once.
 * @module
 */
import { CloseCode, kPubSub, kSend, kSocket, noop } from '../constants';
import type { Subscriber } from './registry';
import type { EncodedMessage } from '../connection/serialize';
import { directWriteSocket, unflushedBytes } from '../connection/ws-internals';

/** RFC 6455 §5.2 header of an unmasked, final, uncompressed frame, followed by the payload, in one Buffer. */
export function buildFrame(payload: Buffer, binary: boolean): Buffer {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x80 | (binary ? 0x2 : 0x1);
  if (headerLength === 2) frame[1] = length;
  else if (headerLength === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  payload.copy(frame, headerLength);
  return frame;
}

/** One subscriber is too slow: its gateway's policy says whether it loses the message or the connection. */
function tooSlow(conn: Subscriber): void {
  if (conn[kPubSub]!.limits.backpressurePolicy === 'close') {
    conn.close(CloseCode.tryAgainLater, 'Subscriber too slow').catch(noop);
  }
}

/**
 * Writes `message` to every open subscriber but `except`. The payload is encoded to bytes once
 * and the frame (header + payload) built once; each socket gets the same Buffer in one write.
 * A socket ws could not write at once (permessage-deflate negotiated, or its sender busy
 * compressing) gets the same bytes through `ws.send`, which keeps its frames in order.
 * Subscribers whose unflushed bytes would exceed `maxBackpressure` are closed (1013) or skipped;
 * one with nothing unflushed is not slow and gets the message whatever its size.
 */
export function fanOut(subscribers: ReadonlySet<Subscriber> | undefined, message: EncodedMessage, except: Subscriber | undefined): void {
  if (!subscribers) return;
  const payload = message.data;
  let frame: Buffer | undefined;
  for (const conn of subscribers) {
    if (conn === except || !conn.isOpen) continue;
    const ws = conn[kSocket];
    if (!ws) continue;
    const { maxBackpressure } = conn[kPubSub]!.limits;
    const socket = directWriteSocket(ws);
    if (socket) {
      frame ??= buildFrame(payload, message.binary);
      const unflushed = unflushedBytes(ws, socket);
      if (unflushed > 0 && unflushed + frame.length > maxBackpressure) tooSlow(conn);
      else socket.write(frame);
    } else if (ws.bufferedAmount > 0 && ws.bufferedAmount + payload.length > maxBackpressure) {
      tooSlow(conn);
    } else {
      conn[kSend](payload, message.binary); // behind ws's own queue (deflate), through the connection's send path
    }
  }
}
