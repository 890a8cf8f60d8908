/**
 * Credential expiry and refresh on raw gateways, over real sockets: the close with 4401 at
 * `expiresAt`, `conn.reauthenticate()` moving it (and @OnReauth), refusals (false, another identity,
 * a past expiry), a 30-day token, and one timer for the expiries of many connections.
 */
import { Connection, Gateway, OnMessage, OnReauth } from '../../src';
import { startApp } from '../helpers/app';
import { parseTestToken, TestTokenGuard, type User } from './test-tokens';
import { eventually } from '../helpers/eventually';
import { closed, connect, nextMessage } from '../helpers/ws-client';

/**
 * Tokens look like `<id>:<name>:<ms from now>`; the guard accepts them with that expiry, and the
 * gateway's messages are new tokens (answered "ok"/"refused") or "who".
 */
function expiringGateway() {
  const seen = { reauth: [] as User[], outcomes: [] as boolean[] };
  const parse = parseTestToken;
  @Gateway('/expiring', { guards: [TestTokenGuard] })
  class ExpiringGateway {
    constructor(private readonly conn: Connection<never, User>) {}
    @OnMessage() async onMessage(m: string): Promise<string> {
      if (m === 'who') return this.conn.principal!.name;
      let accepted: boolean;
      if (m === 'false') accepted = await this.conn.reauthenticate(false);
      else if (m === 'past') accepted = await this.conn.reauthenticate({ principal: this.conn.principal!, expiresAt: Date.now() - 1000 });
      else accepted = await this.conn.reauthenticate(parse(m));
      seen.outcomes.push(accepted);
      return accepted ? 'ok' : 'refused'; // a refused refresh has closed the connection: never sent
    }
    @OnReauth() reauth(user: User): void {
      seen.reauth.push(user);
    }
  }
  return { gateway: ExpiringGateway, seen };
}

const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });

describe('credential expiry on a raw gateway', () => {
  it('closes the connection with 4401 "credentials expired" once expiresAt has passed', async () => {
    const { gateway } = expiringGateway();
    const { url } = await startApp([gateway]);
    const opened = Date.now();
    const ws = await connect(url('/expiring'), undefined, bearer('a:Ann:300'));
    ws.send('who');
    expect((await nextMessage(ws)).data).toBe('Ann');
    expect(await closed(ws)).toEqual({ code: 4401, reason: 'credentials expired' });
    expect(Date.now() - opened).toBeGreaterThanOrEqual(300);
  });

  it('conn.reauthenticate() of the same identity moves the expiry, replaces conn.principal and runs @OnReauth', async () => {
    const { gateway, seen } = expiringGateway();
    const { url } = await startApp([gateway]);
    const ws = await connect(url('/expiring'), undefined, bearer('a:Ann:400'));
    ws.send('a:Annie:60000');
    expect((await nextMessage(ws)).data).toBe('ok');
    expect(seen.reauth).toEqual([{ id: 'a', name: 'Annie' }]);
    await new Promise((resolve) => setTimeout(resolve, 600)); // past the first expiry
    ws.send('who');
    expect((await nextMessage(ws)).data).toBe('Annie');
  });

  it('refuses a refresh to another identity, false, or an expiry already past: 4401 "credentials refused"', async () => {
    const { gateway, seen } = expiringGateway();
    const { url } = await startApp([gateway]);
    for (const refresh of ['b:Bob:60000', 'false', 'past']) {
      const ws = await connect(url('/expiring'), undefined, bearer('a:Ann:60000'));
      const end = closed(ws);
      ws.send(refresh);
      expect(await end).toEqual({ code: 4401, reason: 'credentials refused' });
    }
    await eventually(() => seen.outcomes.length === 3, 'the three refreshes to settle');
    expect(seen.outcomes).toEqual([false, false, false]);
    expect(seen.reauth).toEqual([]);
  });

  it('a 30-day token does not close at once (a setTimeout of more than 2^31 − 1 ms would fire at once)', async () => {
    const { gateway } = expiringGateway();
    const { url } = await startApp([gateway]);
    const ws = await connect(url('/expiring'), undefined, bearer(`a:Ann:${30 * 24 * 3600 * 1000}`));
    await new Promise((resolve) => setTimeout(resolve, 300));
    ws.send('who');
    expect((await nextMessage(ws)).data).toBe('Ann');
  });

  it('the expiries of 1,000 connections share the app’s one timer: no timer per connection', async () => {
    const { gateway } = expiringGateway();
    const { url } = await startApp([gateway]);
    // Observed, not replaced: every timer armed for about an hour (only expiries wait that long).
    const spy = jest.spyOn(global, 'setTimeout');
    const longTimers = (): number => spy.mock.calls.filter(([, delay]) => typeof delay === 'number' && delay > 3_000_000).length;
    const sockets = [];
    for (let batch = 0; batch < 10; batch++) {
      sockets.push(...(await Promise.all(Array.from({ length: 100 }, (_, i) => connect(url('/expiring'), undefined, bearer(`u${batch}-${i}:U:${3600000 + (batch * 100 + i) * 1000}`))))));
    }
    expect(sockets).toHaveLength(1000);
    // Deadlines later than the earliest one arm nothing: one timer for the earliest, none per connection.
    expect(longTimers()).toBeGreaterThanOrEqual(1);
    expect(longTimers()).toBeLessThanOrEqual(2);
    spy.mockRestore();
  }, 30_000);

  it('conn.reauthenticate on a gateway without guards rejects with TypeError', async () => {
    let outcome = '';
    @Gateway('/plain')
    class PlainGateway {
      constructor(private readonly conn: Connection) {}
      @OnMessage() onMessage(): void {
        this.conn.reauthenticate(true).catch((err: Error) => (outcome = `${err.name}: ${err.message}`));
      }
    }
    const { url } = await startApp([PlainGateway]);
    const ws = await connect(url('/plain'));
    ws.send('x');
    await eventually(() => outcome !== '', 'reauthenticate to reject');
    expect(outcome).toBe("TypeError: conn.reauthenticate: this connection's gateway has no guards");
  });
});
