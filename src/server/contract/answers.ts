/**
 * Error answers of a contract connection: an error reply to the request's id, or a `$error` when
 * there is no usable id, and what a `MessageError` thrown by a handler becomes on the wire.
 * @module
 */
import { isThenable } from '../../constants';
import type { MessageError } from '../../errors';
import { writeErrorReply, writeSystemError, type Id, type WireError, type WireIssue } from '../../protocol/envelope';
import { runSchema } from '../../protocol/validate';
import type { Logger } from '../../types';
import type { CompiledContract } from './compiled';

/** What a handler failure looks like to the client: no details (they are in the server's log). */
export const INTERNAL: WireError = { code: 'INTERNAL', message: 'Internal error' };

/** An error reply to `id`, or a `$error` naming the offending type when there is no usable id. */
export function errorAnswer(id: Id | undefined, type: string | undefined, error: WireError): string {
  if (id !== undefined) return writeErrorReply(id, error);
  return writeSystemError(type === undefined ? error : { ...error, type });
}

/**
 * A handler's `MessageError` on the wire. With `validateOutgoing`, data its contract's `errors`
 * schema refuses is a server bug: logged, and answered INTERNAL.
 */
export function messageErrorAnswer(compiled: CompiledContract, logger: Logger, label: string, err: MessageError): WireError {
  const error: WireError = { code: err.code, message: err.message };
  if (err.data !== undefined) error.data = err.data;
  if (err.issues) error.issues = err.issues as WireIssue[];
  const schema = compiled.validateOutgoing ? compiled.contract.errors?.[err.code] : undefined;
  if (!schema) return error;
  const result = runSchema(schema, err.data);
  // Checked synchronously only: waiting for an async schema here would reorder the answers.
  if (isThenable(result) || result.issues) {
    logger.error(`wsgate: ${label} threw MessageError ${err.code} with data its schema refuses`);
    return INTERNAL;
  }
  return error;
}

/** `code: message` of a client's `$error`, each cut to 100 characters; `(malformed)` otherwise. */
export function describePeerError(error: unknown): string {
  const { code, message } = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; message?: unknown };
  if (typeof code !== 'string') return '(malformed)';
  return `${code.slice(0, 100)}: ${typeof message === 'string' ? message.slice(0, 100) : ''}`;
}
