/**
 * Counts what a hub drops from its broker and warns about it at most once per interval.
 * @module
 */
import type { Logger } from '../types';

/** Shortest time between two warnings about dropped broker messages, in ms. */
export const JUNK_WARNING_INTERVAL = 10_000;

/**
 * Anyone who can write to a topic's broker channel can send junk, as fast as they like: one warning
 * per message would flood the log, so the drops are counted and reported with their count.
 */
export class JunkReport {
  private dropped = 0;
  private lastWarning = -Infinity;

  constructor(
    private readonly logger: Logger,
    private readonly interval = JUNK_WARNING_INTERVAL,
    private readonly now: () => number = Date.now,
  ) {}

  /** One message dropped; warns when the last warning is at least `interval` ago. */
  drop(topic: string, why: string): void {
    this.dropped++;
    const now = this.now();
    if (now - this.lastWarning < this.interval) return;
    this.logger.warn(
      `wsgate: Hub: dropped ${this.dropped} message(s) from the broker that were not valid wsgate envelopes ` +
        `(last on "${topic}": ${why}); next report in ${this.interval / 1000} s at the earliest`,
    );
    this.dropped = 0;
    this.lastWarning = now;
  }
}
