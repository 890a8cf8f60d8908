/**
 * `guardsOutcome`, the guards step without a socket: synchronous while the guards answer
 * synchronously, a promise from the first guard that answers with one, and the same decisions
 * either way (the first principal stands, a refusal stops the guards after it).
 */
import { HandshakeRejection, type Guard, type GuardResult } from '../../src';
import { HandshakeView } from '../../src/auth/handshake-view';
import { ConnectionAuth } from '../../src/auth/connection-auth';
import { ExpiryWheel } from '../../src/auth/expiry-wheel';
import { guardsOutcome, type GuardedGateway, type GuardScope } from '../../src/auth/run-guards';
import type { HandshakeRequest } from '../../src/server/handshake-request';
import { memoryLogger } from '../helpers/app';

type Answer = () => GuardResult | Promise<GuardResult>;

/** A gateway and a scope whose guard `i` answers `answers[i]()`, recording the calls and the principals set. */
function context(answers: Answer[]) {
  const calls: number[] = [];
  const principals: unknown[] = [];
  const request = { method: 'GET', url: '/', httpVersion: '1.1', headers: {}, remoteAddress: undefined, remotePort: undefined, encrypted: false } as unknown as HandshakeRequest;
  const gw: GuardedGateway = {
    gatewayName: 'G',
    guardNames: answers.map((_, i) => `Guard${i}`),
    logger: memoryLogger(),
    wheel: new ExpiryWheel({ now: () => 1_000 }),
  };
  const scope: GuardScope = {
    guard: (i: number): Guard => ({
      authenticate: () => {
        calls.push(i);
        return answers[i]();
      },
    }),
    setPrincipal: (p: unknown) => void principals.push(p),
  };
  const ctx = { gw, view: new HandshakeView(request, {}, undefined, [], true), scope };
  return { ctx, calls, principals };
}

const isPromise = (x: unknown): boolean => x instanceof Promise;

/** The guards step of one handshake in `ctx`. */
const run = (ctx: ReturnType<typeof context>['ctx']) => guardsOutcome(ctx.gw, ctx.view, ctx.scope);

describe('guardsOutcome', () => {
  it('guards that answer synchronously give the outcome without a promise: the first principal stands, later guards only approve', () => {
    const { ctx, calls, principals } = context([() => true, () => ({ principal: 'alice', expiresAt: 5_000 }), () => ({ principal: 'bob' })]);
    const outcome = run(ctx);
    expect(isPromise(outcome)).toBe(false);
    expect(outcome).toBeInstanceOf(ConnectionAuth);
    expect(outcome).toMatchObject({ principal: 'alice', expiresAt: 5_000, guardName: 'Guard1' });
    expect(calls).toEqual([0, 1, 2]);
    expect(principals).toEqual(['alice']);
    expect(ctx.view.principal).toBe('alice');
  });

  it('a synchronous refusal is returned at once and no later guard runs', () => {
    const thrown = context([
      () => true,
      () => {
        throw new HandshakeRejection(401, 'token expired');
      },
      () => true,
    ]);
    const refused = run(thrown.ctx);
    expect(refused).toEqual({ status: 401, message: 'token expired', headers: {}, fromAuth: true });
    expect(thrown.calls).toEqual([0, 1]);

    const denied = context([() => false, () => true]);
    expect(run(denied.ctx)).toMatchObject({ status: 403 });
    expect(denied.calls).toEqual([0]);
  });

  it('from the first guard that answers with a promise, the outcome is a promise with the same decisions', async () => {
    const { ctx, calls, principals } = context([() => true, () => Promise.resolve({ principal: 'carol' }), () => ({ principal: 'dave' }), () => Promise.resolve(true)]);
    const outcome = run(ctx);
    expect(isPromise(outcome)).toBe(true);
    expect(calls).toEqual([0, 1]); // the guards after the promise wait for it
    expect(await outcome).toMatchObject({ principal: 'carol', guardName: 'Guard1' });
    expect(calls).toEqual([0, 1, 2, 3]);
    expect(principals).toEqual(['carol']);

    const rejected = context([() => Promise.reject(new HandshakeRejection(429, 'slow down')), () => true]);
    expect(await run(rejected.ctx)).toMatchObject({ status: 429, message: 'slow down' });
    expect(rejected.calls).toEqual([0]);
  });

  it('no guard setting a principal: a ConnectionAuth without one', () => {
    const { ctx } = context([() => true]);
    const outcome = run(ctx);
    expect(outcome).toBeInstanceOf(ConnectionAuth);
    expect(outcome).toMatchObject({ principal: undefined, expiresAt: undefined, guard: undefined, guardName: '' });
  });
});
