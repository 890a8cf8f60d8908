/**
 * What a guard answered, read strictly: a result object with a finite expiry that is not past, or a
 * `HandshakeRejection` with a status of 400–599 and headers that are safe to write. Anything else is
 * a guard mistake: 500, logged with the guard's name.
 * @module
 */
import { STATUS_CODES } from 'node:http';
import { HandshakeRejection } from '../errors';
import { INTERNAL_ERROR, type Rejection } from '../server/handshake';
import type { Logger } from '../types';
import type { GuardResult } from './guard';

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** A refusal that `rejectWith: 'close'` may send as a close frame (4000 + status). */
export function authRejection(status: number, message: string, headers?: Record<string, string>): Rejection {
  return { status, message, headers, fromAuth: true };
}

export const FORBIDDEN = authRejection(403, 'Forbidden');
export const EXPIRED = authRejection(401, 'credentials expired');

/** A result object: a principal and, if given, a finite expiry that is not past. */
export function checkResult(
  result: unknown,
  /** Where the result came from, for a log line (called only when one is logged). */
  where: () => string,
  logger: Logger,
  /** The app's clock (its expiry wheel). */
  clock: { now(): number },
): { principal: unknown; expiresAt: number | undefined } | Rejection {
  if (typeof result !== 'object' || result === null || !('principal' in result)) {
    logger.error(`wsgate: ${where()} returned ${describe(result)}; a guard returns true, false or { principal, expiresAt? }`);
    return INTERNAL_ERROR;
  }
  const { principal, expiresAt } = result as Exclude<GuardResult, boolean>;
  if (expiresAt !== undefined && !(typeof expiresAt === 'number' && Number.isFinite(expiresAt))) {
    logger.error(`wsgate: ${where()} returned expiresAt ${describe(expiresAt)}; it must be a finite number of ms since the epoch`);
    return INTERNAL_ERROR;
  }
  if (expiresAt !== undefined && expiresAt <= clock.now()) return EXPIRED;
  return { principal, expiresAt };
}

/** A guard's exception as an answer: its HandshakeRejection when well-formed, else 500 and a log line. */
export function refusalFor(err: unknown, where: string, logger: Logger): Rejection {
  if (!(err instanceof HandshakeRejection)) {
    logger.error(`wsgate: ${where} failed:`, err);
    return INTERNAL_ERROR;
  }
  const { status, headers } = err;
  if (!Number.isInteger(status) || status < 400 || status > 599) {
    logger.error(`wsgate: ${where} threw a HandshakeRejection with status ${String(status)}; it must be 400–599`);
    return INTERNAL_ERROR;
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!HEADER_NAME.test(name) || typeof value !== 'string' || !HEADER_VALUE.test(value)) {
      logger.error(`wsgate: ${where} threw a HandshakeRejection with an invalid header ${JSON.stringify(name)} (CR, LF or other control characters)`);
      return INTERNAL_ERROR;
    }
    out[name] = value;
  }
  return authRejection(status, err.message || (STATUS_CODES[status] ?? 'Refused'), out);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'an array' : 'an object without principal';
  return String(value);
}
