/**
 * `rejectWith: 'close'`: a refusal sent as a close frame right after the 101, because a browser
 * cannot read the status of a refused upgrade but can read a CloseEvent's code and reason.
 * @module
 */
import type { WebSocket } from 'ws';
import { MAX_CLOSE_REASON_BYTES, noop } from '../constants';
import type { Rejection } from '../server/handshake';

/** The close reason of a refusal: its message, and for 429 `retry-after=S` first (what the typed client reads). */
export function closeReason(refusal: Rejection): string {
  const retryAfter = refusal.headers?.['Retry-After'] ?? refusal.headers?.['retry-after'];
  const reason = refusal.status === 429 && retryAfter !== undefined ? `retry-after=${String(retryAfter)}; ${refusal.message}` : refusal.message;
  return truncateUtf8(reason, MAX_CLOSE_REASON_BYTES);
}

/** `text` cut to at most `max` bytes of UTF-8, never inside a character. */
export function truncateUtf8(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > max) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/** Closes a just-upgraded socket with 4000 + status. No gateway hook runs for it. */
export function closeAfterUpgrade(ws: WebSocket, refusal: Rejection): void {
  ws.on('error', noop); // a peer that resets instead of answering the close frame is no error of ours
  ws.close(4000 + refusal.status, closeReason(refusal));
}
