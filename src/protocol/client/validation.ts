/**
 * Checks an incoming payload against its schema; a failure is a `MessageError` with code
 * `VALIDATION` and the issues as the wire carries them. No imports but relative ones.
 * @module
 */
import { MessageError } from '../../errors';
import type { Schema } from '../contract';
import { runSchema, wireIssues, type ValidationResult } from '../validate';

function outcome(result: ValidationResult, what: string): unknown {
  if (result.issues) throw new MessageError('VALIDATION', `${what} failed validation`, undefined, wireIssues(result.issues));
  return result.value;
}

/** The schema's output for `value` (a promise for async schemas); throws or rejects with `VALIDATION`. */
export function validated(schema: Schema | undefined, value: unknown, what: string): unknown {
  if (!schema) return value;
  const result = runSchema(schema, value);
  return result instanceof Promise ? result.then((r) => outcome(r, what)) : outcome(result, what);
}
