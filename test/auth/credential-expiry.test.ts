import { DEFAULTS } from '../../src/constants';
import { CredentialExpiry, MIN_WARNING_INTERVAL, warningTime } from '../../src/auth/credential-expiry';
import { ExpiryWheel } from '../../src/auth/expiry-wheel';
import { onCleanup } from '../helpers/cleanup';
import { FakeClock } from '../helpers/fake-clock';

const TICK = 50;

describe('warningTime', () => {
  const now = 1_000_000;

  test('min(refreshLead, remaining / 2) before the expiry', () => {
    expect(warningTime(now + 600_000, now, 30_000, undefined)).toBe(now + 570_000);
    expect(warningTime(now + 20_000, now, 30_000, undefined)).toBe(now + 10_000);
  });

  test('not sooner than 5 s after the previous warning; none when that reaches the expiry', () => {
    expect(warningTime(now + 20_000, now, 30_000, now - 1000)).toBe(now + 10_000);
    expect(warningTime(now + 8000, now, 30_000, now - 1000)).toBe(now - 1000 + MIN_WARNING_INTERVAL);
    expect(warningTime(now + 4000, now, 30_000, now)).toBeUndefined();
  });

  test('none for an expiry that has passed', () => {
    expect(warningTime(now, now, 30_000, undefined)).toBeUndefined();
    expect(warningTime(now - 1, now, 30_000, undefined)).toBeUndefined();
  });
});

function setup(withWarning = true) {
  const clock = new FakeClock();
  const wheel = new ExpiryWheel({ now: clock.now, tickMs: TICK, setTimer: clock.setTimer, clearTimer: clock.clearTimer });
  onCleanup(() => wheel.close());
  const log: Array<{ what: 'expiring' | 'expired'; at: number; expiresAt?: number }> = [];
  const expiry = new CredentialExpiry(wheel, {
    ...(withWarning ? { onExpiring: (expiresAt: number) => void log.push({ what: 'expiring', at: clock.now(), expiresAt }) } : {}),
    onExpired: () => void log.push({ what: 'expired', at: clock.now() }),
  });
  return { clock, wheel, expiry, log };
}

describe('CredentialExpiry', () => {
  test('warns refreshLead (30 s) before, then expires; both within a tick of their time', () => {
    const { clock, wheel, expiry, log } = setup();
    const expiresAt = clock.now() + 120_000;
    expiry.set(expiresAt);
    expect(wheel.size).toBe(2);
    clock.advance(200_000);
    expect(log.map((l) => l.what)).toEqual(['expiring', 'expired']);
    expect(log[0].expiresAt).toBe(expiresAt);
    expect(log[0].at - (expiresAt - DEFAULTS.refreshLead)).toBeGreaterThanOrEqual(0);
    expect(log[0].at - (expiresAt - DEFAULTS.refreshLead)).toBeLessThanOrEqual(TICK);
    expect(log[1].at - expiresAt).toBeGreaterThanOrEqual(0);
    expect(log[1].at - expiresAt).toBeLessThanOrEqual(TICK);
    expect(expiry.expiresAt).toBeUndefined();
    expect(wheel.size).toBe(0);
  });

  test('a refresh at the warning moves both deadlines: the old expiry never fires', () => {
    const { clock, expiry, log } = setup();
    const first = clock.now() + 60_000;
    expiry.set(first);
    clock.advance(30_000 + TICK);
    expect(log.map((l) => l.what)).toEqual(['expiring']);
    const second = clock.now() + 60_000;
    expiry.set(second);
    clock.advance(60_000 + TICK);
    expect(log.map((l) => l.what)).toEqual(['expiring', 'expiring', 'expired']);
    expect(log[1].expiresAt).toBe(second);
    expect(log[2].at).toBeGreaterThanOrEqual(second);
  });

  test('at most one warning per 5 s: a short refreshed expiry right after a warning gets none', () => {
    const { clock, expiry, log } = setup();
    expiry.set(clock.now() + 4000);
    clock.advance(2000 + TICK);
    expect(log.map((l) => l.what)).toEqual(['expiring']);
    const next = clock.now() + 4000;
    expiry.set(next);
    clock.advance(10_000);
    expect(log.map((l) => l.what)).toEqual(['expiring', 'expired']);
  });

  test('without onExpiring (a raw gateway) there is no warning, only the expiry', () => {
    const { clock, wheel, expiry, log } = setup(false);
    expiry.set(clock.now() + 60_000);
    expect(wheel.size).toBe(1);
    clock.advance(61_000);
    expect(log.map((l) => l.what)).toEqual(['expired']);
  });

  test('stop() (the connection ended) and set(undefined) remove both deadlines', () => {
    const { clock, wheel, expiry, log } = setup();
    expiry.set(clock.now() + 60_000);
    expiry.stop();
    expect(wheel.size).toBe(0);
    expiry.set(clock.now() + 60_000);
    expiry.set(undefined);
    expect(wheel.size).toBe(0);
    clock.advance(120_000);
    expect(log).toEqual([]);
  });
});
