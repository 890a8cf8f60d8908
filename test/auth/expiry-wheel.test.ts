import { MAX_TIMER_DELAY } from '../../src/constants';
import { ExpiryWheel, type WheelEntry } from '../../src/auth/expiry-wheel';
import { FakeClock } from '../helpers/fake-clock';
import { onCleanup } from '../helpers/cleanup';

const TICK = 50;
const DAY = 24 * 60 * 60 * 1000;

/** A wheel on a fake clock, and entries that record the clock time they fired at. */
function setup(onError?: (err: unknown, entry: WheelEntry) => void) {
  const clock = new FakeClock();
  const wheel = new ExpiryWheel({ now: clock.now, tickMs: TICK, setTimer: clock.setTimer, clearTimer: clock.clearTimer, onError });
  onCleanup(() => wheel.close());
  const fired: Array<{ name: string; at: number }> = [];
  const entry = (name: string, then?: () => void): WheelEntry => ({
    onDeadline: () => {
      fired.push({ name, at: clock.now() });
      then?.();
    },
  });
  return { clock, wheel, fired, entry };
}

describe('ExpiryWheel (fake clock)', () => {
  test('an entry fires at its deadline or within one tick after it, not before', () => {
    const { clock, wheel, fired, entry } = setup();
    const at = clock.now() + 1234;
    wheel.schedule(entry('a'), at);
    clock.advance(1233);
    expect(fired).toEqual([]);
    clock.advance(1 + TICK);
    expect(fired).toHaveLength(1);
    expect(fired[0].at).toBeGreaterThanOrEqual(at);
    expect(fired[0].at).toBeLessThanOrEqual(at + TICK);
    expect(wheel.size).toBe(0);
    expect(clock.alive).toBe(0);
  });

  test('a cancelled entry never fires, and the timer is disarmed once nothing is scheduled', () => {
    const { clock, wheel, fired, entry } = setup();
    const a = entry('a');
    wheel.schedule(a, clock.now() + 500);
    expect(clock.alive).toBe(1);
    wheel.cancel(a);
    expect(wheel.size).toBe(0);
    expect(clock.alive).toBe(0);
    clock.advance(10_000);
    expect(fired).toEqual([]);
  });

  test('scheduling an entry again moves it: later, then earlier; it fires once, at the last deadline', () => {
    const { clock, wheel, fired, entry } = setup();
    const start = clock.now();
    const a = entry('a');
    wheel.schedule(a, start + 100);
    wheel.schedule(a, start + 5000);
    expect(wheel.size).toBe(1);
    clock.advance(4000);
    expect(fired).toEqual([]);
    wheel.schedule(a, start + 4500);
    clock.advance(10_000);
    expect(fired.map((f) => f.name)).toEqual(['a']);
    expect(fired[0].at).toBeGreaterThanOrEqual(start + 4500);
    expect(fired[0].at).toBeLessThanOrEqual(start + 4500 + TICK);
  });

  test('10,000 entries share one timer, and each fires once, in deadline order', () => {
    const { clock, wheel, fired, entry } = setup();
    const start = clock.now();
    const deadlines = new Map<string, number>();
    let seed = 7;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 10_000; i++) {
      const at = start + 1000 + Math.floor(random() * 3_600_000);
      deadlines.set(`e${i}`, at);
      wheel.schedule(entry(`e${i}`), at);
    }
    expect(wheel.size).toBe(10_000);
    expect(clock.alive).toBe(1);
    // Re-armed only when a new deadline came before every earlier one (a few dozen times for random order).
    const armedWhileScheduling = clock.armed;
    expect(armedWhileScheduling).toBeLessThan(100);
    clock.advance(3_700_000);
    expect(fired).toHaveLength(10_000);
    expect(new Set(fired.map((f) => f.name)).size).toBe(10_000);
    const offTime = fired.filter((f) => f.at < deadlines.get(f.name)! || f.at > deadlines.get(f.name)! + TICK);
    expect(offTime).toEqual([]);
    const outOfOrder = fired.filter((f, i) => i > 0 && f.at < fired[i - 1].at);
    expect(outOfOrder).toEqual([]);
    expect(clock.maxAlive).toBe(1);
    expect(clock.alive).toBe(0);
  });

  test('a deadline 30 days out does not fire at once: each wait is at most 2^31 − 1 ms, and it fires on time', () => {
    const { clock, wheel, fired, entry } = setup();
    const at = clock.now() + 30 * DAY;
    wheel.schedule(entry('month'), at);
    expect(clock.delays).toEqual([MAX_TIMER_DELAY]);
    clock.advance(MAX_TIMER_DELAY);
    expect(fired).toEqual([]);
    expect(clock.alive).toBe(1);
    clock.advance(at - clock.now() - 1);
    expect(fired).toEqual([]);
    clock.advance(TICK + 1);
    expect(fired).toHaveLength(1);
    expect(fired[0].at).toBeGreaterThanOrEqual(at);
    for (const d of clock.delays) expect(d).toBeLessThanOrEqual(MAX_TIMER_DELAY);
    expect(clock.armed).toBeGreaterThan(1);
  });

  test('an earlier deadline scheduled behind a capped wait re-arms the timer for it', () => {
    const { clock, wheel, fired, entry } = setup();
    wheel.schedule(entry('month'), clock.now() + 30 * DAY);
    const soon = clock.now() + 1000;
    wheel.schedule(entry('soon'), soon);
    expect(clock.alive).toBe(1);
    clock.advance(1000 + TICK);
    expect(fired.map((f) => f.name)).toEqual(['soon']);
  });

  test('close() clears the timer and forgets every entry; later schedules are ignored', () => {
    const { clock, wheel, fired, entry } = setup();
    wheel.schedule(entry('a'), clock.now() + 100);
    wheel.schedule(entry('b'), clock.now() + 200);
    wheel.close();
    expect(clock.alive).toBe(0);
    expect(wheel.size).toBe(0);
    wheel.schedule(entry('c'), clock.now() + 100);
    expect(clock.alive).toBe(0);
    clock.advance(1000);
    expect(fired).toEqual([]);
  });

  test('an entry whose callback throws is reported to onError; the others of the same tick still fire', () => {
    const errors: Array<{ err: unknown; entry: WheelEntry }> = [];
    const { clock, wheel, fired, entry } = setup((err, e) => errors.push({ err, entry: e }));
    const boom = new Error('boom');
    const bad = entry('bad', () => {
      throw boom;
    });
    wheel.schedule(entry('before'), clock.now() + 100);
    wheel.schedule(bad, clock.now() + 100);
    wheel.schedule(entry('after'), clock.now() + 100);
    wheel.schedule(entry('later'), clock.now() + 300);
    clock.advance(1000);
    expect(fired.map((f) => f.name)).toEqual(['before', 'bad', 'after', 'later']);
    expect(errors).toEqual([{ err: boom, entry: bad }]);
  });

  test('a deadline already past fires on the next turn of the timer, never inside schedule()', () => {
    const { clock, wheel, fired, entry } = setup();
    wheel.schedule(entry('past'), clock.now() - 10_000);
    expect(fired).toEqual([]);
    expect(clock.delays).toEqual([0]);
    clock.advance(0);
    expect(fired.map((f) => f.name)).toEqual(['past']);
  });

  test('a callback may reschedule itself into the past: it fires again on the next turn, not in a loop', () => {
    const { clock, wheel, fired } = setup();
    let n = 0;
    const again: WheelEntry = {
      onDeadline: () => {
        fired.push({ name: 'again', at: clock.now() });
        if (++n < 3) wheel.schedule(again, clock.now() - 1);
      },
    };
    wheel.schedule(again, clock.now() + 100);
    clock.advance(100);
    expect(n).toBe(3);
    expect(clock.maxAlive).toBe(1);
  });

  test('cancelling (or moving) an entry that is due in the same turn keeps it from firing', () => {
    const { clock, wheel, fired, entry } = setup();
    const b = entry('b');
    const c = entry('c');
    wheel.schedule(entry('a', () => {
      wheel.cancel(b);
      wheel.schedule(c, clock.now() + 1000);
    }), clock.now() + 100);
    wheel.schedule(b, clock.now() + 100);
    wheel.schedule(c, clock.now() + 100);
    clock.advance(100 + TICK);
    expect(fired.map((f) => f.name)).toEqual(['a']);
    clock.advance(1000);
    expect(fired.map((f) => f.name)).toEqual(['a', 'c']);
  });

  test('entries moved many times (stale ticks compacted away) still fire once, at their last deadline', () => {
    const { clock, wheel, fired, entry } = setup();
    const start = clock.now();
    const entries = Array.from({ length: 20 }, (_, i) => entry(`e${i}`));
    wheel.schedule(entry('untouched'), start + 600_000); // scheduled once, before every compaction
    // Each move leaves the old tick behind in the heap: 20 × 500 moves force several compactions.
    for (let round = 1; round <= 500; round++) {
      for (const [i, e] of entries.entries()) wheel.schedule(e, start + round * 1000 + i * TICK);
    }
    expect(wheel.size).toBe(21);
    clock.advance(499_999);
    expect(fired).toEqual([]);
    clock.advance(20 * TICK + TICK);
    expect(fired.map((f) => f.name)).toEqual(entries.map((_, i) => `e${i}`));
    for (const [i, f] of fired.entries()) expect(f.at).toBe(start + 500_000 + i * TICK);
    clock.advance(100_000);
    expect(fired.map((f) => f.name).slice(20)).toEqual(['untouched']);
  });

  test('refuses a deadline that is not finite and a tick that is not positive', () => {
    const { wheel, entry } = setup();
    expect(() => wheel.schedule(entry('x'), Infinity)).toThrow(RangeError);
    expect(() => wheel.schedule(entry('x'), NaN)).toThrow(RangeError);
    expect(() => new ExpiryWheel({ tickMs: 0 })).toThrow(RangeError);
  });
});

describe('ExpiryWheel (real clock)', () => {
  test('a deadline 200 ms away fires, not before it, and its timer does not keep the process alive', async () => {
    const wheel = new ExpiryWheel();
    onCleanup(() => wheel.close());
    const timeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timeouts();
    const at = Date.now() + 200;
    const firedAt = new Promise<number>((resolve) => wheel.schedule({ onDeadline: () => resolve(Date.now()) }, at));
    expect(timeouts()).toBe(before); // unref'd: not an active (ref'd) resource
    expect(await firedAt).toBeGreaterThanOrEqual(at);
    expect(wheel.size).toBe(0);
  });
});
