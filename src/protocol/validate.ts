/**
 * Validation through Standard Schema: a synchronous validator costs no promise and no tick; a
 * promise-returning one is awaited by the caller. Issues are capped and flattened for the wire.
 * @module
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { WireIssue } from './envelope';

/** At most this many issues go out in one `VALIDATION` error, each message at most this long. */
export const MAX_ISSUES = 20;
export const MAX_ISSUE_MESSAGE = 200;

export type ValidationResult = StandardSchemaV1.Result<unknown>;

/** Runs the schema: its result as it gave it (an object, or a promise of one for async schemas). */
export function runSchema(schema: StandardSchemaV1, value: unknown): ValidationResult | Promise<ValidationResult> {
  return schema['~standard'].validate(value);
}

function flattenPath(path: StandardSchemaV1.Issue['path']): Array<string | number> {
  if (!path) return [];
  const out: Array<string | number> = [];
  for (const segment of path) {
    const key = typeof segment === 'object' && segment !== null ? (segment as StandardSchemaV1.PathSegment).key : segment;
    out.push(typeof key === 'number' ? key : String(key));
  }
  return out;
}

/** The first `MAX_ISSUES` issues, messages cut to `MAX_ISSUE_MESSAGE` characters, paths as keys and indexes. */
export function wireIssues(issues: ReadonlyArray<StandardSchemaV1.Issue>): WireIssue[] {
  const out: WireIssue[] = [];
  for (const issue of issues) {
    if (out.length === MAX_ISSUES) break;
    const message = typeof issue.message === 'string' ? issue.message : 'invalid';
    out.push({ message: message.length > MAX_ISSUE_MESSAGE ? `${message.slice(0, MAX_ISSUE_MESSAGE - 1)}…` : message, path: flattenPath(issue.path) });
  }
  return out;
}
