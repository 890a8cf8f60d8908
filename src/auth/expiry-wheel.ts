/**
 * One timer for every credential deadline of an app. Deadlines are rounded up to a tick
 * (`tickMs`, 50 ms by default) and kept in buckets by tick; a min-heap orders the ticks; at most
 * one Node timer is armed, for the earliest bucket, and each wait is capped at 2^31 − 1 ms
 * (`setTimeout` fires at once beyond that), so a deadline 30 days away is reached in a few hops.
 * No imports of Node: the clock and the timer functions can be replaced (tests use a fake clock).
 * @module
 */
import { MAX_TIMER_DELAY } from '../constants';
import { TickHeap } from './tick-heap';

/** What the wheel calls once its deadline has passed. */
export interface WheelEntry {
  /** Called once, at or after the deadline (within one tick plus the timer's lateness). */
  onDeadline(): void;
}

/** Options of an `ExpiryWheel`; the defaults are the real clock and Node's timers. */
export interface ExpiryWheelOptions {
  /** The clock, in ms (default `Date.now`: deadlines are epoch ms, as `expiresAt` is). */
  now?: () => number;
  /** Granularity in ms (default 50): an entry fires no earlier than its deadline and at most one tick after it, plus the timer's own lateness. */
  tickMs?: number;
  /** Arms the one timer (default `setTimeout`, unref'd). */
  setTimer?: (fire: () => void, delayMs: number) => unknown;
  /** Disarms it (default `clearTimeout`). */
  clearTimer?: (handle: unknown) => void;
  /** Told of an entry whose `onDeadline` threw; the other entries still fire. Default `console.error`. */
  onError?: (err: unknown, entry: WheelEntry) => void;
}

export const DEFAULT_TICK_MS = 50;

function defaultSetTimer(fire: () => void, delayMs: number): unknown {
  // Unref'd: the wheel never keeps a process alive. Live connections (their sockets) do; once
  // they are all gone there is nothing left to expire.
  const handle = setTimeout(fire, delayMs);
  handle.unref?.();
  return handle;
}

function defaultClearTimer(handle: unknown): void {
  clearTimeout(handle as ReturnType<typeof setTimeout>);
}

/**
 * Deadlines of many entries behind one timer. `schedule` and `cancel` are O(log n) at worst
 * (O(1) when the bucket exists); an entry's callback never runs inside `schedule`, only from the
 * timer, so a callback may schedule or cancel entries (itself included) freely.
 */
export class ExpiryWheel {
  private readonly clock: () => number;
  private readonly tickMs: number;
  private readonly setTimer: (fire: () => void, delayMs: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;
  private readonly onError: (err: unknown, entry: WheelEntry) => void;
  /** Entries by tick; a bucket is deleted once empty. */
  private readonly buckets = new Map<number, Set<WheelEntry>>();
  /** The tick of each scheduled entry. */
  private readonly ticks = new Map<WheelEntry, number>();
  /** Ticks of the buckets, in order; may also hold ticks of buckets emptied since (skipped, compacted). */
  private readonly heap = new TickHeap();
  /** Entries taken out to fire in the current turn; cancelling or moving one removes it. */
  private batch: Set<WheelEntry> | undefined;
  private timer: unknown = undefined;
  /** When the armed timer wakes (clock time); meaningful while `timer` is set. */
  private wakeAt = 0;
  private closed = false;

  constructor(options: ExpiryWheelOptions = {}) {
    this.clock = options.now ?? Date.now;
    this.tickMs = options.tickMs ?? DEFAULT_TICK_MS;
    if (!(this.tickMs > 0) || !Number.isFinite(this.tickMs)) throw new RangeError(`ExpiryWheel: tickMs must be a positive number, got ${String(options.tickMs)}`);
    this.setTimer = options.setTimer ?? defaultSetTimer;
    this.clearTimer = options.clearTimer ?? defaultClearTimer;
    this.onError = options.onError ?? ((err) => console.error('wsgate: an expiry callback failed:', err));
  }

  /** The wheel's clock (the one deadlines are compared with). */
  now(): number {
    return this.clock();
  }

  /** Entries scheduled. */
  get size(): number {
    return this.ticks.size;
  }

  /** Whether `entry` is scheduled. */
  has(entry: WheelEntry): boolean {
    return this.ticks.has(entry);
  }

  /**
   * Calls `entry.onDeadline()` at `at` (clock ms) or within one tick after; a deadline already
   * past fires on the next turn of the timer, never synchronously. Scheduling an entry again moves
   * it. Ignored once the wheel is closed.
   */
  schedule(entry: WheelEntry, at: number): void {
    if (!Number.isFinite(at)) throw new RangeError(`ExpiryWheel.schedule: the deadline must be a finite number, got ${String(at)}`);
    if (this.closed) return;
    this.batch?.delete(entry);
    const tick = Math.ceil(at / this.tickMs);
    const current = this.ticks.get(entry);
    if (current === tick) return;
    if (current !== undefined) this.removeFrom(current, entry);
    this.ticks.set(entry, tick);
    let bucket = this.buckets.get(tick);
    if (!bucket) {
      this.buckets.set(tick, (bucket = new Set()));
      this.heap.push(tick);
      this.compact();
    }
    bucket.add(entry);
    const due = tick * this.tickMs;
    if (this.timer === undefined || due < this.wakeAt) this.arm();
  }

  /** Forgets `entry`; it will not fire (also when its deadline has passed and it waits in the current turn). */
  cancel(entry: WheelEntry): void {
    this.batch?.delete(entry);
    const tick = this.ticks.get(entry);
    if (tick === undefined) return;
    this.ticks.delete(entry);
    this.removeFrom(tick, entry);
    if (this.ticks.size === 0) this.disarm();
  }

  /** Forgets every entry and disarms the timer; later `schedule` calls are ignored. */
  close(): void {
    this.closed = true;
    this.batch?.clear();
    this.disarm();
    this.buckets.clear();
    this.ticks.clear();
    this.heap.clear();
  }

  private removeFrom(tick: number, entry: WheelEntry): void {
    const bucket = this.buckets.get(tick);
    if (!bucket) return;
    bucket.delete(entry);
    if (bucket.size === 0) this.buckets.delete(tick); // its tick stays in the heap until popped or compacted
  }

  /** Ticks of emptied buckets pile up in the heap when entries move; rebuild once they outnumber the live ones. */
  private compact(): void {
    if (this.heap.size > 2 * this.buckets.size + 64) this.heap.rebuild(this.buckets.keys());
  }

  /** The earliest tick that still has a bucket (drops stale ones from the heap's top). */
  private earliest(): number | undefined {
    let tick: number | undefined;
    while ((tick = this.heap.peek()) !== undefined && !this.buckets.has(tick)) this.heap.pop();
    return tick;
  }

  /** (Re)arms the one timer for the earliest bucket, or disarms it when there is none. */
  private arm(): void {
    this.disarm();
    const tick = this.earliest();
    if (tick === undefined) return;
    const now = this.clock();
    const delay = Math.min(Math.max(0, tick * this.tickMs - now), MAX_TIMER_DELAY);
    this.wakeAt = now + delay;
    this.timer = this.setTimer(() => this.fire(), delay);
  }

  private disarm(): void {
    if (this.timer === undefined) return;
    this.clearTimer(this.timer);
    this.timer = undefined;
  }

  private fire(): void {
    this.timer = undefined;
    if (this.closed) return;
    const now = this.clock();
    // Everything due is taken out first: entries a callback schedules into the past wait for the
    // next turn of the timer (no endless loop within one turn).
    const due = new Set<WheelEntry>();
    let tick: number | undefined;
    while ((tick = this.earliest()) !== undefined && tick * this.tickMs <= now) {
      this.heap.pop();
      const bucket = this.buckets.get(tick)!;
      this.buckets.delete(tick);
      for (const entry of bucket) {
        this.ticks.delete(entry);
        due.add(entry);
      }
    }
    this.batch = due;
    try {
      for (const entry of due) {
        if (this.closed) return;
        due.delete(entry); // a callback's cancel() of a later entry of this turn removes it from `due`
        try {
          entry.onDeadline();
        } catch (err) {
          try {
            this.onError(err, entry);
          } catch {
            // A failing error reporter must not cost the other entries their deadline.
          }
        }
      }
    } finally {
      this.batch = undefined;
    }
    if (!this.closed && this.timer === undefined) this.arm();
  }
}
