import { nextStep, type RetryContext } from '../../../src/protocol/client/reconnect';
import { bearerProtocol } from '../../../src/protocol/client/bearer';

const base: RetryContext = { reconnect: { min: 250, max: 15000 }, attempt: 0, authRetried: false, hasGetToken: true, random: () => 1 };

describe('typed client: what follows a close', () => {
  test.each([1008, 4403])('%i stops even with reconnect on', (code) => {
    expect(nextStep(code, '', base)).toHaveProperty('stop');
  });

  test('without reconnect every close stops', () => {
    expect(nextStep(1006, '', { ...base, reconnect: false })).toHaveProperty('stop');
  });

  test('4401 retries at once when getToken exists and this was not the retry; else it stops', () => {
    expect(nextStep(4401, '', base)).toEqual({ delay: 0, authRetry: true });
    expect(nextStep(4401, '', { ...base, authRetried: true })).toHaveProperty('stop');
    expect(nextStep(4401, '', { ...base, hasGetToken: false })).toHaveProperty('stop');
  });

  test('full jitter: the bound doubles from min per attempt up to max, the delay is random below it', () => {
    const bound = (attempt: number) => nextStep(1006, '', { ...base, attempt, random: () => 0.999999 });
    expect(bound(0)).toEqual({ delay: 250, authRetry: false });
    expect(bound(2)).toEqual({ delay: 1000, authRetry: false });
    expect(bound(10)).toEqual({ delay: 15000, authRetry: false });
    expect(nextStep(1006, '', { ...base, attempt: 3, random: () => 0 })).toEqual({ delay: 0, authRetry: false });
  });

  test('1013 waits between half and all of max', () => {
    expect(nextStep(1013, '', { ...base, random: () => 0 })).toEqual({ delay: 7500, authRetry: false });
    expect(nextStep(1013, '', { ...base, random: () => 1 })).toEqual({ delay: 15000, authRetry: false });
  });

  test('4429 waits its retry-after=S (plus up to min of jitter), even beyond max; without it, the usual backoff', () => {
    expect(nextStep(4429, 'too many; retry-after=30', { ...base, random: () => 0 })).toEqual({ delay: 30000, authRetry: false });
    expect(nextStep(4429, 'retry-after=2', { ...base, random: () => 1 })).toEqual({ delay: 2250, authRetry: false });
    expect(nextStep(4429, 'slow down', { ...base, random: () => 1 })).toEqual({ delay: 250, authRetry: false });
  });

  test('a delay never exceeds 2^31 − 1 ms (setTimeout would fire at once)', () => {
    expect(nextStep(4429, 'retry-after=99999999', base)).toEqual({ delay: 2 ** 31 - 1, authRetry: false });
  });
});

describe('typed client: the bearer subprotocol', () => {
  test('base64url of the UTF-8 bytes, no padding', () => {
    const token = 'äb?>~ ü';
    const expected = Buffer.from(token, 'utf8').toString('base64url');
    expect(bearerProtocol(token)).toBe(`wsgate.bearer.${expected}`);
    expect(bearerProtocol(token)).not.toMatch(/[=+/]/);
    expect(bearerProtocol('a')).toBe('wsgate.bearer.YQ');
  });
});
