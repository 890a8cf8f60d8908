/**
 * The cross-node wire format of a published message:
 * `[kind: 0 text | 1 binary][origin length: 1 byte][origin: ASCII][payload bytes]`.
 * The origin (a random node id) lets a hub skip its own publishes, which it already delivered
 * locally (so `except` works and local delivery does not wait for a round trip).
 * @module
 */
import { isUtf8 } from 'node:buffer';
import type { EncodedMessage } from '../connection/serialize';

const TEXT = 0;
const BINARY = 1;

/** A decoded envelope: who published it and the message, ready for sending. */
export interface Envelope {
  readonly origin: string;
  readonly message: EncodedMessage;
}

/** Builds the wire form of `message` published by node `origin` (at most 255 ASCII characters). */
export function encodeEnvelope(origin: string, message: EncodedMessage): Buffer {
  const payload = message.data;
  const out = Buffer.allocUnsafe(2 + origin.length + payload.length);
  out[0] = message.binary ? BINARY : TEXT;
  out[1] = origin.length;
  out.write(origin, 2, 'latin1');
  payload.copy(out, 2 + origin.length);
  return out;
}

/**
 * Parses an envelope; for bytes that are not a valid one (another program on the channel, or a
 * crafted message), the reason it is not. A text payload must be valid UTF-8: sent as a text frame,
 * it would make every subscriber's client fail the connection (1007).
 */
export function decodeEnvelope(buf: Buffer): Envelope | string {
  if (buf.length < 2 || buf[0] > BINARY || buf.length < 2 + buf[1]) return 'not an envelope';
  const originEnd = 2 + buf[1];
  const origin = buf.toString('latin1', 2, originEnd);
  const payload = buf.subarray(originEnd);
  const binary = buf[0] === BINARY;
  if (!binary && !isUtf8(payload)) return 'text payload that is not valid UTF-8';
  return { origin, message: { data: payload, binary } };
}
