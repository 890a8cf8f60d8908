/**
 * The server side of in-band credential refresh on a contract gateway: the session's `$auth`
 * answers (through the `onAuth` hook set on the session) and `sendAuthExpiring`, over real sockets.
 * The guard's refresh is not wired here; each gateway sets the hook itself from `@OnOpen`.
 */
import { Connection, Gateway, MessageError, OnMessage, OnOpen, type In, type Out } from '../../src';
import { connect } from '../../src/client-entry';
import type { AuthHook } from '../../src/server/contract/auth-requests';
import { kSession } from '../../src/constants';
import { onCleanup } from '../helpers/cleanup';
import { startApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { chat, JsonPeer } from './fixtures';

/** A chat gateway whose sessions get `hook` (when given) and that warns at open when `warnAt` is given. */
function authGateway(hook?: AuthHook, options: { warnAt?: number; onInvalidMessage?: 'close' } = {}) {
  let release!: () => void;
  const blocked = new Promise<void>((resolve) => (release = resolve));
  const state = { running: 0 };

  @Gateway('/auth', { contract: chat, onInvalidMessage: options.onInvalidMessage })
  class AuthGateway {
    constructor(private readonly conn: Connection<typeof chat>) {}

    @OnOpen() open(): void {
      const session = this.conn[kSession]!;
      session.onAuth = hook;
      if (options.warnAt !== undefined) session.sendAuthExpiring(options.warnAt);
    }

    @OnMessage(chat, 'say')
    async say({ text }: In<typeof chat, 'say'>): Promise<Out<typeof chat, 'say'>> {
      state.running++;
      if (text === 'block') await blocked;
      state.running--;
      return { id: text };
    }

    @OnMessage(chat, 'typing') typing(): void {}
    @OnMessage(chat, 'ping') ping(): void {}
    @OnMessage(chat, 'history') async *history(): AsyncIterable<Out<typeof chat, 'history'>> {}
  }
  return { AuthGateway, release, state };
}

describe('contract session: $auth requests', () => {
  it('without a hook, $auth is answered UNAUTHORIZED and the connection stays open', async () => {
    const { AuthGateway } = authGateway();
    const { url } = await startApp([AuthGateway]);
    const peer = await JsonPeer.open(url('/auth'));
    expect(await peer.request('$auth', { token: 't' }, 1)).toEqual({ id: 1, error: { code: 'UNAUTHORIZED', message: 'this gateway has no credentials to refresh' } });
    expect(await peer.request('ping', undefined, 2)).toEqual({ id: 2, data: null });
  });

  it('with a hook: it gets the token and the id; its expiresAt is the reply', async () => {
    const calls: Array<[string, unknown]> = [];
    const { AuthGateway } = authGateway(async (token, id) => {
      calls.push([token, id]);
      return { expiresAt: 1_800_000_000_000 };
    });
    const { url } = await startApp([AuthGateway]);
    const peer = await JsonPeer.open(url('/auth'));
    expect(await peer.request('$auth', { token: 'fresh' }, 'a1')).toEqual({ id: 'a1', data: { expiresAt: 1_800_000_000_000 } });
    expect(calls).toEqual([['fresh', 'a1']]);
  });

  it('a refusing hook: UNAUTHORIZED (with a MessageError’s message), then the connection closes with 4401', async () => {
    const { AuthGateway } = authGateway(() => {
      throw new MessageError('UNAUTHORIZED', 'token revoked');
    });
    const { url } = await startApp([AuthGateway]);
    const peer = await JsonPeer.open(url('/auth'));
    expect(await peer.request('$auth', { token: 'old' }, 1)).toEqual({ id: 1, error: { code: 'UNAUTHORIZED', message: 'token revoked' } });
    expect(await peer.closedWith()).toEqual({ code: 4401, reason: 'credentials refused' });
  });

  it('any other rejection is answered with a generic UNAUTHORIZED message', async () => {
    const { AuthGateway } = authGateway(() => Promise.reject(new Error('database down: secret details')));
    const { url } = await startApp([AuthGateway]);
    const peer = await JsonPeer.open(url('/auth'));
    expect(await peer.request('$auth', { token: 'x' }, 1)).toEqual({ id: 1, error: { code: 'UNAUTHORIZED', message: 'the credentials were refused' } });
    expect((await peer.closedWith()).code).toBe(4401);
  });

  it('is answered at once, while a handler runs (never queued behind it)', async () => {
    const { AuthGateway, release, state } = authGateway(() => ({ expiresAt: 42 }));
    const { url } = await startApp([AuthGateway]);
    const peer = await JsonPeer.open(url('/auth'));
    peer.send({ type: 'say', id: 1, data: { text: 'block' } });
    await eventually(() => state.running === 1, 'the blocking handler');
    expect(await peer.request('$auth', { token: 't' }, 2)).toEqual({ id: 2, data: { expiresAt: 42 } });
    expect(state.running).toBe(1);
    release();
    expect(await peer.answer(1)).toEqual({ id: 1, data: { id: 'block' } });
  });

  it('one at a time: a second $auth while the first is answered is OVERLOADED; a reused pending id is DUPLICATE_ID', async () => {
    let finish!: () => void;
    const { AuthGateway } = authGateway(() => new Promise((resolve) => (finish = () => resolve({ expiresAt: 7 }))));
    const { url } = await startApp([AuthGateway]);
    const peer = await JsonPeer.open(url('/auth'));
    peer.send({ type: '$auth', id: 1, data: { token: 'a' } });
    expect(await peer.request('$auth', { token: 'b' }, 2)).toEqual({ id: 2, error: { code: 'OVERLOADED', message: 'a credential refresh is already running' } });
    peer.send({ type: 'ping', id: 1 });
    expect(await peer.next((m) => m.type === '$error')).toEqual({ type: '$error', error: { code: 'DUPLICATE_ID', message: 'request id 1 is still pending', type: 'ping' } });
    finish();
    expect(await peer.answer(1)).toEqual({ id: 1, data: { expiresAt: 7 } });
  });

  it('$auth without a string token is BAD_MESSAGE (and closes with 1008 under onInvalidMessage: close); the hook is not called', async () => {
    let called = 0;
    const hook: AuthHook = () => {
      called++;
      return { expiresAt: 1 };
    };
    const lenient = authGateway(hook);
    const { url } = await startApp([lenient.AuthGateway]);
    const peer = await JsonPeer.open(url('/auth'));
    expect(await peer.request('$auth', { token: 5 }, 1)).toEqual({ id: 1, error: { code: 'BAD_MESSAGE', message: '"$auth" needs "data": {"token": string}' } });

    const strict = authGateway(hook, { onInvalidMessage: 'close' });
    const app2 = await startApp([strict.AuthGateway]);
    const peer2 = await JsonPeer.open(app2.url('/auth'));
    peer2.send({ type: '$auth', id: 1 });
    expect((await peer2.closedWith()).code).toBe(1008);
    expect(called).toBe(0);
  });

  it('sendAuthExpiring sends {"type": "$auth.expiring", "data": {"expiresAt": ms}}', async () => {
    const { AuthGateway } = authGateway(undefined, { warnAt: 1_799_999_999_000 });
    const { url } = await startApp([AuthGateway]);
    const peer = await JsonPeer.open(url('/auth'));
    expect(await peer.next((m) => m.type === '$auth.expiring')).toEqual({ type: '$auth.expiring', data: { expiresAt: 1_799_999_999_000 } });
  });

  it('end to end: the typed client answers the warning with a token from getToken, which the hook receives', async () => {
    const tokens: string[] = [];
    const { AuthGateway } = authGateway((token) => {
      tokens.push(token);
      return { expiresAt: Date.now() + 60_000 };
    }, { warnAt: Date.now() + 30_000 });
    const { url } = await startApp([AuthGateway]);
    let n = 0;
    const c = await connect(chat, url('/auth'), { getToken: () => `token-${++n}` });
    onCleanup(() => c.close());
    await eventually(() => tokens.length === 1, 'the hook called with the refreshed token');
    expect(tokens).toEqual(['token-2']);
    expect(c.state).toBe('open');
  });
});
