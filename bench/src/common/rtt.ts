/**
 * The request/reply round-trip benchmark (`contract-rtt`): one request type, `add`, with a small
 * object payload, validated by the same zod schema in every server (wsgate through its contract,
 * the others by calling `safeParse` in their handler). zod resolves to the root's copy (the one the
 * library's contract tests use), like tsyringe: bench/ does not install its own.
 */
import { z } from 'zod';

export const RTT_PATH = '/rtt';
export const RTT_TYPE = 'add';

/** The request's data: `{ a, b, note }`. */
export const AddRequest = z.object({ a: z.number().int(), b: z.number().int(), note: z.string().max(64) });
/** The reply's data: `{ sum, note }`. */
export const AddReply = z.object({ sum: z.number().int(), note: z.string() });

export type AddRequest = z.infer<typeof AddRequest>;
export type AddReply = z.infer<typeof AddReply>;

/** The work every server does for one request once it is valid. */
export function add(request: AddRequest): AddReply {
  return { sum: request.a + request.b, note: request.note };
}

/** A validation failure in the shape of a wsgate `VALIDATION` error (what every server answers). */
export function validationError(error: z.ZodError): { code: string; message: string; issues: Array<{ message: string; path: PropertyKey[] }> } {
  return {
    code: 'VALIDATION',
    message: `invalid data for "${RTT_TYPE}"`,
    issues: error.issues.slice(0, 20).map((issue) => ({ message: issue.message, path: issue.path })),
  };
}
