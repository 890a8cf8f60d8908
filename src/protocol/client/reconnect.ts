/**
 * What the typed client does after its connection ended: stop for good, or try again after how
 * long. Pure functions.
 * @module
 */
import { MAX_TIMER_DELAY } from '../../constants';

/** Where the client is in its run of attempts. */
export interface RetryContext {
  /** Backoff bounds, or false when reconnecting is off. */
  readonly reconnect: { min: number; max: number } | false;
  /** Failed attempts since the last open connection. */
  readonly attempt: number;
  /** The last attempt was the retry with a fresh token after a 4401. */
  readonly authRetried: boolean;
  readonly hasGetToken: boolean;
  readonly random: () => number;
}

export type RetryStep = { readonly stop: string } | { readonly delay: number; readonly authRetry: boolean };

/** The `retry-after=S` of a 4429 close reason, in ms. */
function retryAfter(reason: string): number | undefined {
  const m = /(?:^|[\s;,])retry-after=(\d+(?:\.\d+)?)/i.exec(reason);
  return m ? Number(m[1]) * 1000 : undefined;
}

/**
 * 1008 (policy) and 4403 (forbidden) stop; 4401 is retried once at once with a fresh token;
 * 1013 waits between half and all of `max`; 4429 waits its `retry-after`; anything else waits a
 * full-jitter delay, random in [0, min(max, min · 2^attempt)).
 */
export function nextStep(code: number, reason: string, ctx: RetryContext): RetryStep {
  if (code === 1008) return { stop: `closed by the server with 1008 (policy violation)${reason ? `: ${reason}` : ''}` };
  if (code === 4403) return { stop: `the server refused the connection (4403)${reason ? `: ${reason}` : ''}` };
  if (!ctx.reconnect) return { stop: `the connection closed (${code}${reason ? ` ${reason}` : ''})` };
  if (code === 4401) {
    if (!ctx.hasGetToken || ctx.authRetried) return { stop: `the server refused the credentials (4401)${reason ? `: ${reason}` : ''}` };
    return { delay: 0, authRetry: true };
  }
  const { min, max } = ctx.reconnect;
  let delay: number;
  if (code === 1013) delay = max / 2 + (ctx.random() * max) / 2;
  else if (code === 4429 && retryAfter(reason) !== undefined) delay = retryAfter(reason)! + ctx.random() * min;
  else delay = ctx.random() * Math.min(max, min * 2 ** Math.min(ctx.attempt, 30));
  return { delay: Math.min(Math.round(delay), MAX_TIMER_DELAY), authRetry: false };
}
