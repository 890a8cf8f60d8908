/**
 * Credential refresh on a contract gateway, end to end over real sockets: the guard sets the
 * principal and expiry, the server warns with `$auth.expiring`, the typed client answers with a
 * token from `getToken`, the guard's `refresh` checks it. Refusals (the guard says no, another
 * identity) close with 4401; a client without getToken is closed at expiry.
 */
import { Connection, Gateway, injectable, OnMessage, OnReauth, type GuardResult, type Out } from '../../src';
import { connect } from '../../src/client-entry';
import { startApp } from '../helpers/app';
import { parseTestToken, TestTokenGuard, type User } from './test-tokens';
import { onCleanup } from '../helpers/cleanup';
import { chat, JsonPeer } from '../protocol/fixtures';

/** Tokens are `<id>:<name>:<ttl ms>`; `refuse` makes the guard refuse every refresh. */
function refreshingGateway(options: { refuse?: boolean } = {}) {
  const seen = { refreshed: [] as string[], reauth: [] as string[], names: [] as string[] };
  const parse = parseTestToken;
  @injectable()
  class TokenGuard extends TestTokenGuard {
    refresh(token: string): GuardResult<User> {
      seen.refreshed.push(token);
      if (options.refuse) throw new Error('revoked');
      return parse(token);
    }
  }
  @Gateway('/refresh', { contract: chat, guards: [TokenGuard] })
  class RefreshGateway {
    constructor(private readonly conn: Connection<typeof chat, User>) {}
    @OnMessage(chat, 'say') say(): Out<typeof chat, 'say'> {
      seen.names.push(this.conn.principal!.name);
      return { id: this.conn.principal!.name };
    }
    @OnMessage(chat, 'typing') typing(): void {}
    @OnMessage(chat, 'ping') ping(): void {}
    @OnMessage(chat, 'history') async *history(): AsyncIterable<Out<typeof chat, 'history'>> {}
    @OnReauth() reauth(user: User): void {
      seen.reauth.push(user.name);
    }
  }
  return { gateway: RefreshGateway, seen };
}

describe('credential refresh on a contract gateway', () => {
  it('the typed client refreshes a token that expires every 800 ms through 3 s without a drop; handlers see the new principal', async () => {
    const { gateway, seen } = refreshingGateway();
    const { url } = await startApp([gateway]);
    let issued = 0;
    const states: string[] = [];
    const c = await connect(chat, url('/refresh'), {
      getToken: () => `u1:name${++issued}:800`,
      onStateChange: (s) => states.push(s),
    });
    onCleanup(() => c.close());
    const started = Date.now();
    while (Date.now() - started < 3000) {
      await c.call('say', { text: 'x' });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(seen.refreshed.length).toBeGreaterThanOrEqual(3);
    expect(seen.reauth.length).toBe(seen.refreshed.length);
    expect(seen.names.at(-1)).not.toBe('name1');
    expect(states).not.toContain('reconnecting');
  }, 15_000);

  it('a refresh the guard refuses is answered UNAUTHORIZED and the connection closes with 4401', async () => {
    const { gateway, seen } = refreshingGateway({ refuse: true });
    const { url } = await startApp([gateway]);
    const peer = await JsonPeer.open(url('/refresh'), undefined, { Authorization: 'Bearer u1:Ann:60000' });
    expect(await peer.request('$auth', { token: 'u1:Ann:60000' }, 1)).toEqual({ id: 1, error: { code: 'UNAUTHORIZED', message: 'the credentials were refused' } });
    expect(await peer.closedWith()).toEqual({ code: 4401, reason: 'credentials refused' });
    expect(seen.refreshed).toEqual(['u1:Ann:60000']);
  });

  it('a refresh that changes identity is refused the same way', async () => {
    const { gateway, seen } = refreshingGateway();
    const { url } = await startApp([gateway]);
    const peer = await JsonPeer.open(url('/refresh'), undefined, { Authorization: 'Bearer u1:Ann:60000' });
    expect(await peer.request('$auth', { token: 'u2:Bob:60000' }, 1)).toMatchObject({ id: 1, error: { code: 'UNAUTHORIZED' } });
    expect(await peer.closedWith()).toEqual({ code: 4401, reason: 'credentials refused' });
    expect(seen.reauth).toEqual([]);
  });

  it('an accepted refresh is answered with the new expiry', async () => {
    const { gateway } = refreshingGateway();
    const { url } = await startApp([gateway]);
    const peer = await JsonPeer.open(url('/refresh'), undefined, { Authorization: 'Bearer u1:Ann:60000' });
    const before = Date.now();
    const answer = (await peer.request('$auth', { token: 'u1:Ann:120000' }, 1)) as { id: number; data: { expiresAt: number } };
    expect(answer.id).toBe(1);
    expect(answer.data.expiresAt).toBeGreaterThanOrEqual(before + 120000);
    expect(answer.data.expiresAt).toBeLessThanOrEqual(Date.now() + 120000);
  });

  it('warns with $auth.expiring before expiry and, without an answer, closes with 4401 "credentials expired"', async () => {
    const { gateway } = refreshingGateway();
    const { url } = await startApp([gateway]);
    const peer = await JsonPeer.open(url('/refresh'), undefined, { Authorization: 'Bearer u1:Ann:600' });
    const warning = (await peer.next((m) => m.type === '$auth.expiring', '$auth.expiring')) as { data: { expiresAt: number } };
    expect(warning.data.expiresAt).toBeGreaterThan(Date.now());
    expect(await peer.closedWith()).toEqual({ code: 4401, reason: 'credentials expired' });
  });
});
