/**
 * Encoding of outgoing messages (SPEC §4 writeMessage rules) and decoding of incoming frames.
 * @module
 */
import type { OutgoingMessage } from '../types';

/** A message ready for `ws.send`: text as string, bytes as Buffer. */
export interface EncodedMessage {
  readonly data: string | Buffer;
  readonly binary: boolean;
}

/**
 * string → text; Buffer/Uint8Array/ArrayBuffer → binary; anything else → JSON text.
 * `binary: true` sends a string as a binary frame.
 */
export function encodeMessage(message: OutgoingMessage, binary = false): EncodedMessage {
  if (typeof message === 'string') return { data: message, binary };
  if (Buffer.isBuffer(message)) return { data: message, binary: true };
  if (message instanceof Uint8Array) return { data: Buffer.from(message.buffer, message.byteOffset, message.byteLength), binary: true };
  if (message instanceof ArrayBuffer) return { data: Buffer.from(message), binary: true };
  const json = JSON.stringify(message);
  if (json === undefined) throw new TypeError(`writeMessage: cannot send ${typeof message} (not JSON-serializable)`);
  return { data: json, binary };
}

/** ws hands frames over as Buffer (or Buffer[] when fragmented); text frames become strings. */
export function decodeFrame(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): string | Buffer {
  const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
  return isBinary ? buf : buf.toString('utf8');
}
