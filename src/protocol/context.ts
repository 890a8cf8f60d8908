/**
 * The context a contract handler receives beside the payload.
 * @module
 */
import type { Id } from './envelope';

/** What a contract handler gets besides the payload. */
export interface MessageContext {
  /** Aborts when the client cancels the request (`$cancel`) or the connection ends. */
  readonly signal: AbortSignal;
  /** The message type. */
  readonly type: string;
  /** The request id; `undefined` for an event. */
  readonly id: Id | undefined;
  /** The `key` a typed client sends with a call made with `idempotencyKey` (handlers must then be idempotent). */
  readonly idempotencyKey: string | undefined;
}
