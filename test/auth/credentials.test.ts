/**
 * Credentials as guards read them: the bearer token (header or browser subprotocol, never
 * selected, echoed, kept in conn.request or logged), cookies only behind an origin check, and
 * hostile credential headers that must never make the server answer 500 or log an error.
 */
import { CheckOrigin, Connection, Gateway, HandshakeRejection, injectable, OnMessage, Subprotocol, type Guard, type GuardResult, type Handshake } from '../../src';
import { decodeBearerProtocol, parseCookies, readBearerToken } from '../../src/auth/credentials';
import { bearerProtocol } from '../../src/protocol/client/bearer';
import { startApp } from '../helpers/app';
import { rawRequest, upgradeHeaders } from '../helpers/http';
import { connect, nextMessage } from '../helpers/ws-client';

describe('readBearerToken', () => {
  it('reads Authorization: Bearer (any case of the scheme), else the one wsgate.bearer.* entry', () => {
    expect(readBearerToken('Bearer abc.DEF-123_~+/==', [])).toBe('abc.DEF-123_~+/==');
    expect(readBearerToken('bearer   tok', [])).toBe('tok');
    expect(readBearerToken(undefined, ['wsgate.v1', bearerProtocol('tøken ✓')])).toBe('tøken ✓');
    expect(readBearerToken('Bearer fromHeader', [bearerProtocol('fromProtocol')])).toBe('fromHeader');
  });

  it('reads malformed input as no token: other schemes, bad characters, two entries, bad base64url or UTF-8', () => {
    expect(readBearerToken('Basic dXNlcjpwYXNz', [])).toBeUndefined();
    expect(readBearerToken('Bearer', [])).toBeUndefined();
    expect(readBearerToken('Bearer a b', [])).toBeUndefined();
    expect(readBearerToken('Bearer tok\u0000', [])).toBeUndefined();
    expect(readBearerToken(undefined, [bearerProtocol('a'), bearerProtocol('b')])).toBeUndefined();
    expect(decodeBearerProtocol('wsgate.bearer.')).toBeUndefined();
    expect(decodeBearerProtocol('wsgate.bearer.a')).toBeUndefined(); // 1 mod 4: no base64 of anything
    expect(decodeBearerProtocol('wsgate.bearer.ab+c')).toBeUndefined(); // not base64url
    expect(decodeBearerProtocol('wsgate.bearer._w')).toBeUndefined(); // 0xff: not UTF-8
  });
});

describe('parseCookies', () => {
  it('splits pairs, trims, unquotes, decodes percent-encoding where valid; the first of a repeated name wins', () => {
    expect(parseCookies('sid=abc; theme="dark"; name=J%C3%B6rg; bad=%E0%A4%A; sid=second; flag; =x')).toEqual({
      sid: 'abc',
      theme: 'dark',
      name: 'Jörg',
      bad: '%E0%A4%A',
    });
    expect(parseCookies(undefined)).toEqual({});
    expect(parseCookies('__proto__=x').__proto__).toBe('x'); // no prototype to pollute
  });
});

interface Seen {
  tokens: Array<string | undefined>;
  cookies: Array<Readonly<Record<string, string>> | undefined>;
}

function recordingGuard(seen: Seen) {
  @injectable()
  class Recording implements Guard<string> {
    authenticate(h: Handshake<string>): GuardResult<string> {
      seen.tokens.push(h.bearerToken);
      seen.cookies.push(h.cookies);
      const who = h.bearerToken ?? h.cookies?.sid;
      if (!who) throw new HandshakeRejection(401, 'who are you?');
      return { principal: who };
    }
  }
  return Recording;
}

describe('the bearer token over a real socket', () => {
  it('a browser-style wsgate.bearer.* entry authenticates, is never selected or echoed, and is kept out of conn.request and every log line', async () => {
    const seen: Seen = { tokens: [], cookies: [] };
    const token = 'secret-token-4711';
    const entry = bearerProtocol(token);
    const offeredToHook: string[][] = [];
    @Gateway('/bearer', { guards: [recordingGuard(seen)] })
    class BearerGateway {
      constructor(private readonly conn: Connection<never, string>) {}
      @Subprotocol() pick(offered: string[]): string | null {
        offeredToHook.push(offered);
        return offered.includes('chat') ? 'chat' : null;
      }
      @OnMessage() echo(): string {
        return JSON.stringify({ principal: this.conn.principal, protocol: this.conn.selectedSubprotocol, headers: this.conn.request.headers });
      }
    }
    const { port, url, logger } = await startApp([BearerGateway]);
    const answer = await rawRequest(port, '/bearer', upgradeHeaders({ 'Sec-WebSocket-Protocol': `chat, ${entry}` }));
    expect(answer.status).toBe(101);
    expect(answer.headers['sec-websocket-protocol']).toBe('chat');
    expect(JSON.stringify(answer.headers)).not.toContain(entry);

    const ws = await connect(url('/bearer'), ['chat', entry]);
    expect(ws.protocol).toBe('chat');
    ws.send('?');
    const seenByGateway = (await nextMessage(ws)).data as string;
    expect(JSON.parse(seenByGateway)).toMatchObject({ principal: token, protocol: 'chat' });
    expect(seenByGateway).not.toContain(entry);
    expect(seenByGateway).not.toContain('wsgate.bearer');
    expect(offeredToHook).toEqual([['chat'], ['chat']]);
    expect(seen.tokens).toEqual([token, token]);
    const logged = [...logger.errors, ...logger.warnings, ...logger.debugs].join('\n');
    expect(logged).not.toContain(entry);
    expect(logged).not.toContain(token);
  });

  it('a token offered only beside wsgate.v1 selects wsgate.v1 (a browser fails a 101 that selects none), on a raw gateway too', async () => {
    const seen: Seen = { tokens: [], cookies: [] };
    @Gateway('/raw', { guards: [recordingGuard(seen)] })
    class RawGateway {
      @OnMessage() echo(m: string): string {
        return m;
      }
    }
    const { url, port } = await startApp([RawGateway]);
    const ws = await connect(url('/raw'), ['wsgate.v1', bearerProtocol('t')]);
    expect(ws.protocol).toBe('wsgate.v1');
    // Nothing else offered: nothing is selected (the token never is), so strict clients give up.
    const alone = await rawRequest(port, '/raw', upgradeHeaders({ 'Sec-WebSocket-Protocol': bearerProtocol('u') }));
    expect(alone.status).toBe(101);
    expect(alone.headers['sec-websocket-protocol']).toBeUndefined();
    expect(seen.tokens).toEqual(['t', 'u']);
  });
});

describe('cookies only behind an origin check', () => {
  function cookieGateway(seen: Seen, path: string, options: object, withHook = false) {
    @Gateway(path, { guards: [recordingGuard(seen)], ...options })
    class CookieGateway {
      @OnMessage() echo(m: string): string {
        return m;
      }
    }
    @Gateway(path, { guards: [recordingGuard(seen)], ...options })
    class CookieHookGateway {
      @CheckOrigin() check(): boolean {
        return true;
      }
      @OnMessage() echo(m: string): string {
        return m;
      }
    }
    return withHook ? CookieHookGateway : CookieGateway;
  }
  const cookie = { Cookie: 'sid=alice; theme=dark' };

  it('are read under the default same-host rule and under an origins list', async () => {
    const seen: Seen = { tokens: [], cookies: [] };
    const { port } = await startApp([cookieGateway(seen, '/same', {}), cookieGateway(seen, '/listed', { origins: ['https://chat.example.com'] })]);
    expect((await rawRequest(port, '/same', upgradeHeaders({ Host: 'chat.example.com', Origin: 'https://chat.example.com', ...cookie }))).status).toBe(101);
    expect((await rawRequest(port, '/listed', upgradeHeaders({ Origin: 'https://chat.example.com', ...cookie }))).status).toBe(101);
    expect(seen.cookies).toEqual([
      { sid: 'alice', theme: 'dark' },
      { sid: 'alice', theme: 'dark' },
    ]);
  });

  it("are undefined under origins: '*' and when only @CheckOrigin (which runs after the guards) checks the origin", async () => {
    const seen: Seen = { tokens: [], cookies: [] };
    const { port } = await startApp([cookieGateway(seen, '/any', { origins: '*' }), cookieGateway(seen, '/hook', {}, true)]);
    expect((await rawRequest(port, '/any', upgradeHeaders({ Origin: 'https://evil.example', ...cookie }))).status).toBe(401);
    expect((await rawRequest(port, '/hook', upgradeHeaders({ Origin: 'https://evil.example', ...cookie }))).status).toBe(401);
    expect(seen.cookies).toEqual([undefined, undefined]);
  });

  it('a cross-site page (foreign Origin) on a cookie-guarded gateway gets 403 before any guard runs', async () => {
    const seen: Seen = { tokens: [], cookies: [] };
    const { port } = await startApp([cookieGateway(seen, '/same', {})]);
    const answer = await rawRequest(port, '/same', upgradeHeaders({ Host: 'chat.example.com', Origin: 'https://evil.example', ...cookie }));
    expect(answer.status).toBe(403);
    expect(seen.cookies).toEqual([]);
  });
});

describe('hostile credential headers', () => {
  it('1,000 handshakes with malformed Authorization, Cookie and token-bearing Sec-WebSocket-Protocol: 101, 400 or 401, never 500, nothing logged as an error', async () => {
    const seen: Seen = { tokens: [], cookies: [] };
    @Gateway('/hostile', { guards: [recordingGuard(seen)] })
    class HostileGateway {
      @OnMessage() echo(m: string): string {
        return m;
      }
    }
    const { port, logger } = await startApp([HostileGateway]);
    // A deterministic generator: the same 1,000 requests on every run.
    let state = 42;
    const rand = (n: number): number => ((state = (state * 1103515245 + 12345) & 0x7fffffff), state % n);
    const junk = (len: number): string => {
      const alphabet = 'ab=;,"% \t\\/+_-.~\u00e9\u00ff{}[]<>@:?Bearer bearer wsgate.bearer.';
      let s = '';
      for (let i = 0; i < len; i++) s += alphabet[rand(alphabet.length)];
      return s;
    };
    const statuses = new Map<number, number>();
    for (let i = 0; i < 1000; i++) {
      const headers = upgradeHeaders({
        Authorization: rand(3) === 0 ? undefined : ['Bearer ', 'bearer\t', 'Basic ', 'Bearer  ', ''][rand(5)] + junk(rand(40)),
        Cookie: rand(2) === 0 ? undefined : junk(rand(60)),
        'Sec-WebSocket-Protocol': rand(2) === 0 ? undefined : `wsgate.bearer.${junk(rand(30)).replace(/[\s,"]/g, '')}, ${rand(2) ? 'wsgate.v1' : ''}`,
      });
      const { status } = await rawRequest(port, '/hostile', headers);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    expect([...statuses.keys()].every((s) => s === 101 || s === 400 || s === 401)).toBe(true);
    expect(statuses.get(401)).toBeGreaterThan(100);
    expect(logger.errors).toEqual([]);
  }, 60_000);
});
