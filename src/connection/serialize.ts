/**
 * Encoding of outgoing messages (writeMessage's rules, docs/behaviour.md#connection) and decoding of incoming frames.
 * @module
 */
import type { OutgoingMessage } from '../types';

/** A message encoded to bytes once for many sockets and nodes (Hub): the payload and the frame kind. */
export interface EncodedMessage {
  readonly data: Buffer;
  readonly binary: boolean;
}

/**
 * string → text; Buffer/Uint8Array/ArrayBuffer → binary; anything else → JSON text.
 * The frame is binary exactly when the result is a Buffer (or `binary: true` was asked for), so
 * no wrapper object is needed: this runs once per message.
 */
export function encodeMessage(message: OutgoingMessage): string | Buffer {
  if (typeof message === 'string') return message;
  if (Buffer.isBuffer(message)) return message;
  if (message instanceof Uint8Array) return Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  if (message instanceof ArrayBuffer) return Buffer.from(message);
  const json = JSON.stringify(message);
  if (json === undefined) throw new TypeError(`writeMessage: cannot send ${typeof message} (not JSON-serializable)`);
  return json;
}

/** ws hands frames over as Buffer (or Buffer[] when fragmented); text frames become strings. */
export function decodeFrame(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): string | Buffer {
  const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
  return isBinary ? buf : buf.toString('utf8');
}
