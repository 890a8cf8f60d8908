/**
 * The chat sample's authentication (samples/chat-auth.ts) over real sockets: no token, a forged
 * one, an expired one, a token in a browser's subprotocol, the name from the token in what members
 * see, the demo login at /token, and the token format itself.
 */
import { createHmac } from 'node:crypto';
import { WebSocket } from 'ws';
import { ChatGateway, ChatNickname, createChatApp, startChat } from '../../samples/chat';
import { ChatAuth, ChatTokens } from '../../samples/chat-auth';
import { HandshakeRejection } from '../../src';
import { joinChat, loginAs, requestToken } from '../helpers/chat-member';
import { onCleanup } from '../helpers/cleanup';
import { closed, connect, nextMessage } from '../helpers/ws-client';

const SECRET = 'chat-auth-test-secret';

async function chatApp(): Promise<{ url: (room: string) => string; tokens: ChatTokens }> {
  const app = createChatApp({ tokenSecret: SECRET });
  onCleanup(() => app.close());
  const { port } = await app.listen(0, '127.0.0.1');
  return { url: (room) => `ws://127.0.0.1:${port}/chat/${room}`, tokens: app.container.resolve(ChatTokens) };
}

/** A raw ws client: opens `url` with `headers`/`protocols` and resolves with how it closed, and what it got before. */
async function rawAttempt(url: string, options: { headers?: Record<string, string>; protocols?: string[] } = {}) {
  const ws = new WebSocket(url, options.protocols ?? [], { headers: options.headers });
  onCleanup(() => ws.terminate());
  const messages: string[] = [];
  ws.on('message', (data) => messages.push(String(data)));
  const end = await closed(ws);
  return { ...end, messages };
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const b64url = (text: string) => Buffer.from(text).toString('base64url');

describe('samples/chat.ts: the guard refuses, as a 4401 close (rejectWith "close")', () => {
  it('no token: 101, then 4401 "token required" and nothing else', async () => {
    const { url } = await chatApp();
    expect(await rawAttempt(url('lobby'))).toEqual({ code: 4401, reason: 'token required', messages: [] });
    // An Authorization header of another scheme carries no bearer token either.
    expect(await rawAttempt(url('lobby'), { headers: { Authorization: 'Basic YWxpY2U6cHc=' } })).toMatchObject({ code: 4401, reason: 'token required' });
  });

  it('a forged token is refused: another secret, a payload changed under its signature, a signature spelled otherwise', async () => {
    const { url, tokens } = await chatApp();
    const refused = { code: 4401, reason: 'invalid or expired token', messages: [] };
    const otherSecret = new ChatTokens({ secret: 'not the secret' }).issue('mallory');
    expect(await rawAttempt(url('lobby'), { headers: bearer(otherSecret) })).toEqual(refused);

    const genuine = tokens.issue('alice');
    const [payload, signature] = genuine.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { sub: string; name: string; exp: number };
    const renamed = `${b64url(JSON.stringify({ ...claims, sub: 'admin', name: 'admin' }))}.${signature}`;
    expect(await rawAttempt(url('lobby'), { headers: bearer(renamed) })).toEqual(refused);
    // Base64url decoding would skip the "=": the signature is compared as text.
    expect(await rawAttempt(url('lobby'), { headers: bearer(`${genuine}=`) })).toEqual(refused);
    // A signature by the right key over a payload the sample would never issue (no exp) is refused too.
    const noExp = b64url(JSON.stringify({ sub: 'x', name: 'x' }));
    const signedNoExp = `${noExp}.${createHmac('sha256', SECRET).update(noExp).digest('base64url')}`;
    expect(await rawAttempt(url('lobby'), { headers: bearer(signedNoExp) })).toEqual(refused);

    // The genuine token passes (so the refusals above are about the forgery).
    const ok = await connect(url('lobby'), undefined, { headers: bearer(genuine) });
    expect(JSON.parse(String((await nextMessage(ok)).data))).toMatchObject({ type: 'welcome', data: { nick: 'alice', room: 'lobby' } });
  });

  it('an expired token is refused', async () => {
    const { url } = await chatApp();
    // Same secret, issued by a clock ten minutes behind: it expired five minutes ago.
    const expired = new ChatTokens({ secret: SECRET, now: () => Date.now() - 10 * 60_000 }).issue('alice');
    expect(await rawAttempt(url('lobby'), { headers: bearer(expired) })).toEqual({ code: 4401, reason: 'invalid or expired token', messages: [] });
  });

  it('a browser’s token in the wsgate.bearer.* subprotocol passes; wsgate.v1 is the one selected', async () => {
    const { url, tokens } = await chatApp();
    const ws = await connect(url('lobby'), ['wsgate.v1', `wsgate.bearer.${b64url(tokens.issue('Alice Liddell'))}`]);
    const welcome = JSON.parse(String((await nextMessage(ws)).data));
    expect(ws.protocol).toBe('wsgate.v1');
    expect(welcome).toMatchObject({ type: 'welcome', data: { nick: 'Alice Liddell', room: 'lobby' } });
  });
});

describe('samples/chat.ts: the name in the token is the member’s name', () => {
  it('appears in welcome, and in joined, typing, message and left of the other members', async () => {
    const { url, tokens } = await chatApp();
    const alice = await joinChat(url('names'), () => tokens.issue('Alice Liddell'));
    const bob = await joinChat(url('names'), () => tokens.issue('Bob'));
    expect(await alice.waitFor('welcome')).toEqual({ nick: 'Alice Liddell', room: 'names' });
    expect(await bob.waitFor('welcome')).toEqual({ nick: 'Bob', room: 'names' });
    expect(await alice.waitFor('joined')).toEqual({ nick: 'Bob' });
    await alice.c.send('typing', { on: true });
    expect(await bob.waitFor('typing')).toEqual({ nick: 'Alice Liddell', on: true });
    await alice.c.call('say', { text: 'hi' });
    expect(await bob.waitFor('message')).toMatchObject({ nick: 'Alice Liddell', text: 'hi' });
    await alice.c.close();
    expect(await bob.waitFor('left')).toEqual({ nick: 'Alice Liddell' });
  });

});

describe('samples/chat.ts: the demo login GET /token', () => {
  it('answers a token for a name of 1 to 32 characters (trimmed, not cached), 400 otherwise; the token logs in', async () => {
    const chat = await startChat(0, '127.0.0.1', { tokenSecret: SECRET });
    onCleanup(() => chat.stop());
    const base = `http://127.0.0.1:${chat.address.port}`;
    const tokens = new ChatTokens({ secret: SECRET });
    const ok = await requestToken(base, '  Dana ');
    expect(ok.status).toBe(200);
    expect(ok.headers).toMatchObject({ 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    expect(tokens.verify(ok.body)).toEqual({ sub: 'Dana', name: 'Dana', exp: expect.any(Number) });
    expect((await requestToken(base, 'x'.repeat(32))).status).toBe(200);
    for (const bad of ['', '   ', 'x'.repeat(33)]) {
      expect(await requestToken(base, bad)).toMatchObject({ status: 400, body: 'name must be 1 to 32 characters\n' });
    }
    const member = await joinChat(`ws://127.0.0.1:${chat.address.port}/chat/lobby`, loginAs(base, 'Dana'));
    expect(await member.waitFor('welcome')).toEqual({ nick: 'Dana', room: 'lobby' });
  });
});

describe('samples/chat-auth.ts: ChatTokens and ChatAuth', () => {
  it('issue: exp is now + the TTL (ms since the epoch), 5 minutes unless told; names outside 1..32 throw', () => {
    const now = () => 1_700_000_000_000;
    const claims = (t: ChatTokens, name: string) => t.verify(t.issue(name));
    expect(claims(new ChatTokens({ secret: SECRET, now }), 'eve')).toEqual({ sub: 'eve', name: 'eve', exp: 1_700_000_300_000 });
    expect(claims(new ChatTokens({ secret: SECRET, now, ttlSeconds: 2 }), 'eve')?.exp).toBe(1_700_000_002_000);
    expect(() => new ChatTokens({ secret: SECRET }).issue('x'.repeat(33))).toThrow(RangeError);
    expect(() => new ChatTokens({ secret: SECRET, ttlSeconds: 0 })).toThrow(RangeError);
  });

  it('CHAT_SECRET and CHAT_TOKEN_TTL are read when no option says otherwise; without a secret, one random secret per process', () => {
    const saved = { secret: process.env.CHAT_SECRET, ttl: process.env.CHAT_TOKEN_TTL };
    onCleanup(() => {
      for (const [key, value] of [['CHAT_SECRET', saved.secret], ['CHAT_TOKEN_TTL', saved.ttl]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    });
    const now = () => 0;
    process.env.CHAT_SECRET = SECRET;
    process.env.CHAT_TOKEN_TTL = '7';
    const fromEnv = new ChatTokens({ now });
    expect(new ChatTokens({ secret: SECRET, now }).verify(fromEnv.issue('f'))).toEqual({ sub: 'f', name: 'f', exp: 7000 });
    process.env.CHAT_TOKEN_TTL = 'soon';
    expect(() => new ChatTokens()).toThrow(/CHAT_TOKEN_TTL/);
    delete process.env.CHAT_SECRET;
    delete process.env.CHAT_TOKEN_TTL;
    const [one, two] = [new ChatTokens(), new ChatTokens()];
    expect(two.verify(one.issue('g'))?.name).toBe('g'); // the same random secret in one process
    expect(fromEnv.verify(one.issue('g'))).toBeUndefined(); // not CHAT_SECRET's
  });

  it('verify returns undefined, never throws, for malformed tokens', () => {
    const tokens = new ChatTokens({ secret: SECRET });
    const sign = (payload: string) => `${payload}.${createHmac('sha256', SECRET).update(payload).digest('base64url')}`;
    const malformed = ['', '.', 'abc', 'a.b.c', `.${tokens.issue('h').split('.')[1]}`, sign('not base64 json!'), sign(b64url('null')), sign(b64url('[1]')),
      sign(b64url(JSON.stringify({ sub: '', name: 'h', exp: Date.now() + 60_000 }))),
      sign(b64url(JSON.stringify({ sub: 'h', name: 'x'.repeat(33), exp: Date.now() + 60_000 }))),
      sign(b64url(JSON.stringify({ sub: 'h', name: ' h', exp: Date.now() + 60_000 }))),
      sign(b64url(JSON.stringify({ sub: 'h', name: 'h', exp: String(Date.now() + 60_000) })))];
    for (const token of malformed) expect(tokens.verify(token)).toBeUndefined();
    expect(tokens.verify(sign(b64url(JSON.stringify({ sub: 'h', name: 'h', exp: Date.now() + 60_000 }))))).toMatchObject({ name: 'h' });
  });

  it('the guard: 401 with WWW-Authenticate Bearer when refused; refresh verifies the new token (false when it fails)', () => {
    const tokens = new ChatTokens({ secret: SECRET });
    const guard = new ChatAuth(tokens);
    const handshake = (bearerToken: string | undefined) => ({ bearerToken }) as Parameters<ChatAuth['authenticate']>[0];
    const refusal = (() => {
      try {
        guard.authenticate(handshake(undefined));
      } catch (err) {
        return err;
      }
    })();
    expect(refusal).toBeInstanceOf(HandshakeRejection);
    expect(refusal).toMatchObject({ status: 401, headers: { 'WWW-Authenticate': 'Bearer' } });
    expect(() => guard.authenticate(handshake('forged.token'))).toThrow(HandshakeRejection);
    const carol = tokens.issue('Carol', 'user-42');
    expect(guard.authenticate(handshake(carol))).toEqual({ principal: { id: 'user-42', name: 'Carol' }, expiresAt: tokens.verify(carol)?.exp });
    const current = { id: 'ivy', name: 'ivy' };
    const fresh = tokens.issue('ivy');
    expect(guard.refresh(fresh)).toEqual({ principal: current, expiresAt: tokens.verify(fresh)?.exp });
    expect(guard.refresh(new ChatTokens({ secret: 'other' }).issue('ivy'))).toBe(false);
  });
});

describe('samples/chat.ts: expiry and refresh', () => {
  /** Resolves once the clock is `ms` past `at` (a token's exp): a wait for a deadline, not a timing assertion. */
  const past = (at: number, ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now()) + ms));

  it('a 1-second token: a raw client is closed with 4401 at its expiry; the typed client refreshes (the guard’s refresh) and stays open past it', async () => {
    const app = createChatApp({ tokenSecret: SECRET, tokenTtlSeconds: 1 });
    onCleanup(() => app.close());
    const { port } = await app.listen(0, '127.0.0.1');
    const url = `ws://127.0.0.1:${port}/chat/short`;
    const tokens = app.container.resolve(ChatTokens);

    const raw = await connect(url, undefined, { headers: bearer(tokens.issue('raw')) });
    const rawEnd = closed(raw);
    const issued: number[] = [];
    const states: string[] = [];
    const getToken = () => {
      const token = tokens.issue('ann');
      issued.push(tokens.verify(token)!.exp);
      return token;
    };
    const ann = await joinChat(url, getToken, { onStateChange: (s) => states.push(s) });
    const bob = await joinChat(url, () => tokens.issue('bob'));
    expect(await ann.waitFor('welcome')).toEqual({ nick: 'ann', room: 'short' });

    expect(await rawEnd).toEqual({ code: 4401, reason: 'credentials expired' });
    await past(issued[0], 500); // ann's first token is over
    expect(issued.length).toBeGreaterThanOrEqual(2); // getToken was asked again, over the open socket
    await ann.c.call('say', { text: 'still here' });
    expect(await bob.waitFor('message')).toMatchObject({ nick: 'ann', text: 'still here' });
    expect(states).toEqual(['open']); // never dropped, never reconnected
  });

  it('a refreshed token with a new name (same sub) renames the member through @OnReauth', async () => {
    const app = createChatApp({ tokenSecret: SECRET, tokenTtlSeconds: 1 });
    onCleanup(() => app.close());
    const { port } = await app.listen(0, '127.0.0.1');
    const url = `ws://127.0.0.1:${port}/chat/renamed`;
    const tokens = app.container.resolve(ChatTokens);
    let first: number | undefined;
    const ann = await joinChat(url, () => {
      if (first !== undefined) return tokens.issue('Ann B.', 'ann');
      const token = tokens.issue('ann');
      first = tokens.verify(token)!.exp;
      return token;
    });
    const bob = await joinChat(url, () => tokens.issue('bob'));
    expect(await ann.waitFor('welcome')).toEqual({ nick: 'ann', room: 'renamed' });
    await past(first!, 500);
    await ann.c.call('say', { text: 'new name' });
    expect(await bob.waitFor('message')).toMatchObject({ nick: 'Ann B.', text: 'new name' });
  });
});

describe('samples/chat.ts: the @OnReauth rule for the nick', () => {
  // The hook called as wsgate calls it after a refresh, on a gateway built with the one service it uses.
  function member(name: string): { nick: ChatNickname; reauth: (user: { id: string; name: string }) => void } {
    const nick = new ChatNickname({ id: name, name });
    const gateway = new ChatGateway(undefined as never, undefined as never, nick, undefined as never);
    return { nick, reauth: (user) => gateway.reauth(user) };
  }

  it('a refreshed principal with a new name renames the member, a rename by `nick` included', () => {
    const m = member('ann');
    expect(m.nick.value).toBe('ann');
    m.reauth({ id: 'ann', name: 'Ann B.' });
    expect(m.nick.value).toBe('Ann B.');
    m.nick.value = 'annie'; // what the `nick` request does
    m.reauth({ id: 'ann', name: 'Ann C.' });
    expect(m.nick.value).toBe('Ann C.');
  });

  it('a refresh with the same name leaves the nick, and a rename, as they are', () => {
    const m = member('ann');
    m.nick.value = 'annie';
    m.reauth({ id: 'ann', name: 'ann' });
    expect(m.nick.value).toBe('annie');
  });
});
