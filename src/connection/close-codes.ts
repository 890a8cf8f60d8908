/**
 * Which close codes an endpoint may send (RFC 6455 §7.4).
 * @module
 */

/** RFC 6455 §7.4: codes an endpoint may send in a close frame. */
export function isValidCloseCode(code: number): boolean {
  return (
    Number.isInteger(code) &&
    ((code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999))
  );
}
