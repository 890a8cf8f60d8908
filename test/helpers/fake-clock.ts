/**
 * A fake clock with the timer functions the expiry wheel takes (`now`, `setTimer`, `clearTimer`):
 * time moves only through `advance`, which fires the timers that fall due on the way, in order,
 * with the clock set to each one's due time. It counts the timers armed and how many were alive at
 * once.
 */
export class FakeClock {
  private time: number;
  private nextId = 1;
  private readonly timers = new Map<number, { readonly at: number; readonly fire: () => void }>();
  /** Every delay passed to `setTimer`, in order. */
  readonly delays: number[] = [];
  /** The most timers alive at the same time so far. */
  maxAlive = 0;

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  readonly now = (): number => this.time;

  readonly setTimer = (fire: () => void, delayMs: number): unknown => {
    const id = this.nextId++;
    this.delays.push(delayMs);
    this.timers.set(id, { at: this.time + delayMs, fire });
    this.maxAlive = Math.max(this.maxAlive, this.timers.size);
    return id;
  };

  readonly clearTimer = (handle: unknown): void => {
    this.timers.delete(handle as number);
  };

  /** Timers armed so far (`setTimer` calls). */
  get armed(): number {
    return this.delays.length;
  }

  /** Timers armed and neither fired nor cleared. */
  get alive(): number {
    return this.timers.size;
  }

  /** Moves the clock `ms` forward, firing each timer due on the way (those armed meanwhile too). */
  advance(ms: number): void {
    const target = this.time + ms;
    for (let guard = 0; ; guard++) {
      if (guard > 1_000_000) throw new Error('FakeClock: timers keep re-arming without time passing');
      let next: [number, { at: number; fire: () => void }] | undefined;
      for (const t of this.timers) if (t[1].at <= target && (!next || t[1].at < next[1].at)) next = t;
      if (!next) break;
      this.timers.delete(next[0]);
      this.time = Math.max(this.time, next[1].at);
      next[1].fire();
    }
    this.time = target;
  }
}
