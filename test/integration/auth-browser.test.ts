/**
 * Handshake guards in headless Chromium (issue 15): a cookie session from the page's own origin, a
 * page of another origin refused by the origin rule before any guard runs (though the browser sends
 * the cookie), `rejectWith: 'close'` read from a CloseEvent, and the typed client's `getToken`
 * carried by a `wsgate.bearer.*` subprotocol. The pages are served by the HTTP server the app is
 * attached to, so they are of the gateways' own origin unless a test says otherwise.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import type { Page } from 'playwright-core';
import * as v from 'valibot';
import {
  Connection,
  createApp,
  defineContract,
  Gateway,
  HandshakeRejection,
  injectable,
  OnMessage,
  OnOpen,
  type App,
  type AppOptions,
  type Guard,
  type GuardResult,
  type Handshake,
} from '../../src';
import { bearerProtocol } from '../../src/protocol/client/bearer';
import { memoryLogger, type MemoryLogger } from '../helpers/app';
import { launchBrowserWithClientBuild, runInPage, type TestBrowser } from './helpers/browser';
import { BLANK_PAGE, closeServer, listen, recordUpgradeAnswers, startPageServer, type UpgradeAnswer } from './helpers/servers';

const root = join(__dirname, '..', '..');
const esm = join(root, 'dist', 'esm');
const valibot = join(root, 'node_modules', 'valibot', 'dist', 'index.mjs');

interface User {
  readonly id: string;
  readonly name: string;
}

// ---------------------------------------------------------------------------------------------
// The site: one HTTP server serving pages and the app's gateways (app.attach), on 127.0.0.1:0.

interface Site {
  readonly app: App;
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  /** ws://127.0.0.1:PORT + path */
  url(path: string): string;
  /** The answer to every upgrade request, in order. */
  readonly answers: UpgradeAnswer[];
  /** The Cookie header of every upgrade request, in order. */
  readonly cookies: Array<string | undefined>;
  readonly logger: MemoryLogger;
}

/**
 * GET /login sets the session cookie `sid=<session>` and answers a blank page; GET /blank answers
 * a blank page; /esm/* and /valibot.js serve the typed client's ES-module build and valibot;
 * everything else goes to the app.
 */
async function startSite(options: Omit<AppOptions, 'logger'>, session = ''): Promise<Site> {
  const logger = memoryLogger();
  const app = createApp({ logger, ...options });
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const html = { 'Content-Type': 'text/html; charset=utf-8' };
    if (req.method === 'GET' && path === '/login') {
      return void res.writeHead(200, { ...html, 'Set-Cookie': `sid=${session}; Path=/; HttpOnly; SameSite=Lax` }).end(BLANK_PAGE);
    }
    if (req.method === 'GET' && path === '/blank') return void res.writeHead(200, html).end(BLANK_PAGE);
    const file = path === '/valibot.js' ? valibot : path.startsWith('/esm/') ? normalize(join(esm, path.slice(5))) : undefined;
    if (file === undefined) return app.handleRequest(req, res);
    if (!file.startsWith(root)) return void res.writeHead(404).end();
    // Modules need a JavaScript content type.
    readFile(file).then(
      (body) => void res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(body),
      () => void res.writeHead(404).end(),
    );
  });
  const answers = recordUpgradeAnswers(server);
  const cookies: Array<string | undefined> = [];
  server.prependListener('upgrade', (req: IncomingMessage) => void cookies.push(req.headers.cookie));
  app.attach(server);
  await listen(server);
  const { port } = server.address() as AddressInfo;
  stops.push(async () => {
    await app.close();
    await closeServer(server);
  });
  return { app, port, origin: `http://127.0.0.1:${port}`, url: (p) => `ws://127.0.0.1:${port}${p}`, answers, cookies, logger };
}

// ---------------------------------------------------------------------------------------------
// Page-side code (text: the tests' TypeScript config has no DOM lib).

/**
 * Opens `new WebSocket(args.url, args.protocols)`, sends args.send once open, and resolves with
 * what the page saw in order (`open <protocol>`, `message <text>`, `error`, `close <code> <reason>
 * <clean>`) once closed or once a message arrived.
 */
const OPEN = `
  const events = [];
  const ws = new WebSocket(args.url, args.protocols);
  return await new Promise((resolve) => {
    ws.onopen = () => { events.push('open ' + ws.protocol); if (args.send !== undefined) ws.send(args.send); };
    ws.onmessage = (e) => { events.push('message ' + e.data); ws.close(1000); };
    ws.onerror = () => events.push('error');
    ws.onclose = (e) => { events.push('close ' + e.code + ' ' + e.reason + ' ' + (e.wasClean ? 'clean' : 'unclean')); resolve(events); };
    setTimeout(() => { events.push('timeout'); resolve(events); }, 10000);
  });
`;

// ---------------------------------------------------------------------------------------------

let browser: TestBrowser;
const stops: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  // The typed client's ES-module build, which the last test's page imports.
  browser = await launchBrowserWithClientBuild();
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  await browser.context.clearCookies();
});

async function pageAt(url: string): Promise<Page> {
  const page = await browser.newPage();
  stops.push(() => page.close());
  await page.goto(url);
  return page;
}

/** A guard that accepts the sessions in `sessions` from the `sid` cookie, recording each call. */
function cookieSessionGuard(sessions: ReadonlyMap<string, User>, calls: Array<Record<string, string> | undefined>) {
  @injectable()
  class CookieSession implements Guard<User> {
    authenticate(h: Handshake<User>): GuardResult<User> {
      calls.push(h.cookies && { ...h.cookies });
      const user = h.cookies?.sid === undefined ? undefined : sessions.get(h.cookies.sid);
      if (!user) throw new HandshakeRejection(401, 'no session');
      return { principal: user };
    }
  }
  return CookieSession;
}

describe('guards in Chromium', () => {
  test("cookie session: the page's own origin opens a WebSocket, the guard reads h.cookies.sid and the gateway answers with the principal's name", async () => {
    const calls: Array<Record<string, string> | undefined> = [];
    const sessions = new Map([['s-alice-1', { id: 'alice', name: 'Alice' }]]);
    @Gateway('/session', { guards: [cookieSessionGuard(sessions, calls)] })
    class SessionGateway {
      constructor(private readonly conn: Connection<never, User>) {}
      @OnMessage() who(): string {
        return `hello ${this.conn.principal?.name ?? 'nobody'}`;
      }
    }
    const site = await startSite({ gateways: [SessionGateway] }, 's-alice-1');
    const page = await pageAt(`${site.origin}/login`); // the answer sets sid=s-alice-1

    expect(await runInPage(page, OPEN, { url: site.url('/session'), send: 'who' })).toEqual([
      'open ',
      'message hello Alice',
      'close 1000  clean',
    ]);
    expect(calls).toEqual([{ sid: 's-alice-1' }]);
    expect(site.answers.map((a) => [a.url, a.origin, a.status])).toEqual([['/session', site.origin, 101]]);

    // Without the cookie the same page is refused by the guard (the browser only sees a failed connection).
    await browser.context.clearCookies();
    expect(await runInPage(page, OPEN, { url: site.url('/session'), send: 'who' })).toEqual(['error', 'close 1006  unclean']);
    expect(calls).toEqual([{ sid: 's-alice-1' }, {}]);
    expect(site.answers.map((a) => a.status)).toEqual([101, 401]);
    expect(site.logger.errors).toEqual([]);
  });

  test('a page of another origin (another port, or localhost for 127.0.0.1) is answered 403 by the origin rule: the guard never runs, though the browser sent the cookie', async () => {
    const calls: Array<Record<string, string> | undefined> = [];
    const sessions = new Map([['s-alice-2', { id: 'alice', name: 'Alice' }]]);
    let opened = 0;
    @Gateway('/session', { guards: [cookieSessionGuard(sessions, calls)] })
    class SessionGateway {
      @OnOpen() open(): void {
        opened++;
      }
      @OnMessage() echo(m: string): string {
        return m;
      }
    }
    const site = await startSite({ gateways: [SessionGateway] }, 's-alice-2');
    await pageAt(`${site.origin}/login`); // the browser now holds the session cookie for 127.0.0.1
    const other = await startPageServer();
    stops.push(() => other.stop());

    // Another port of the same host: the same site for cookies, so the browser sends sid.
    const foreign = await pageAt(`${other.origin}/`);
    expect(await runInPage(foreign, OPEN, { url: site.url('/session'), send: 'who' })).toEqual(['error', 'close 1006  unclean']);
    expect(site.answers.map((a) => [a.url, a.origin, a.status])).toEqual([['/session', other.origin, 403]]);
    expect(site.cookies).toEqual(['sid=s-alice-2']);

    // localhost is another host than 127.0.0.1, even on the gateway's own port.
    const localhost = `http://localhost:${site.port}`;
    const byName = await pageAt(`${localhost}/blank`);
    expect(await runInPage(byName, OPEN, { url: site.url('/session'), send: 'who' })).toEqual(['error', 'close 1006  unclean']);
    expect(site.answers.map((a) => [a.url, a.origin, a.status])).toEqual([
      ['/session', other.origin, 403],
      ['/session', localhost, 403],
    ]);

    expect(calls).toEqual([]);
    expect(opened).toBe(0);
    expect(site.app.connectionCount).toBe(0);
    expect(site.logger.errors).toEqual([]);
  });

  test("rejectWith: 'close': a guard's HandshakeRejection(401, 'token expired') reaches the page as CloseEvent 4401 'token expired'; no @OnOpen runs", async () => {
    let guardCalls = 0;
    let opened = 0;
    @injectable()
    class ExpiredToken implements Guard {
      authenticate(): GuardResult {
        guardCalls++;
        throw new HandshakeRejection(401, 'token expired');
      }
    }
    @Gateway('/expiring', { guards: [ExpiredToken], rejectWith: 'close' })
    class ExpiringGateway {
      @OnOpen() open(): void {
        opened++;
      }
      @OnMessage() echo(m: string): string {
        return m;
      }
    }
    const site = await startSite({ gateways: [ExpiringGateway] });
    const page = await pageAt(`${site.origin}/blank`);

    // The browser reads a 101 and the close frame that follows it at once.
    expect(await runInPage(page, OPEN, { url: site.url('/expiring') })).toEqual(['open ', 'close 4401 token expired clean']);
    // Offering subprotocols as the typed client does (wsgate.v1 and a token): the 101 selects
    // wsgate.v1, never the token, so Chromium accepts it and shows the close.
    const offered = ['wsgate.v1', bearerProtocol('stale')];
    expect(await runInPage(page, OPEN, { url: site.url('/expiring'), protocols: offered })).toEqual([
      'open wsgate.v1',
      'close 4401 token expired clean',
    ]);

    expect(site.answers.map((a) => a.status)).toEqual([101, 101]);
    expect(site.answers[1].head).toMatch(/\r\nSec-WebSocket-Protocol: wsgate\.v1(\r\n|$)/i);
    expect(guardCalls).toBe(2);
    expect(opened).toBe(0);
    expect(site.app.connectionCount).toBe(0);
    expect(site.logger.errors).toEqual([]);
  });

  test("the typed client's getToken in Chromium: the guard reads h.bearerToken from the wsgate.bearer.* subprotocol, the 101 selects wsgate.v1, and no log line holds the token", async () => {
    const contract = defineContract({
      client: { whoami: { data: v.object({}), reply: v.object({ name: v.string(), protocol: v.string() }) } },
    });
    const token = 'tök€n-4711.sig';
    const tokens: Array<string | undefined> = [];
    const protocols: Array<string | undefined> = [];
    let logger: MemoryLogger | undefined;
    @injectable()
    class BearerAuth implements Guard<User> {
      authenticate(h: Handshake<User>): GuardResult<User> {
        tokens.push(h.bearerToken);
        if (h.bearerToken !== token) throw new HandshakeRejection(401, 'bad token');
        return { principal: { id: 'bob', name: 'Bob' } };
      }
    }
    @Gateway('/typed', { contract, guards: [BearerAuth] })
    class TypedGateway {
      constructor(private readonly conn: Connection<typeof contract, User>) {}
      @OnOpen() open(): void {
        protocols.push(this.conn.selectedSubprotocol);
        // An application that logs its requests: what it can see of the handshake must not hold the token.
        logger?.debug?.(`opened ${this.conn.request.url}`, JSON.stringify(this.conn.request.headers));
      }
      @OnMessage(contract, 'whoami') whoami(): { name: string; protocol: string } {
        return { name: this.conn.principal?.name ?? 'nobody', protocol: this.conn.selectedSubprotocol ?? '' };
      }
    }
    const site = await startSite({ gateways: [TypedGateway] });
    logger = site.logger;
    const page = await pageAt(`${site.origin}/blank`);

    const result = await runInPage(
      page,
      `const { connect, defineContract } = await import(args.origin + '/esm/client-browser.js');
       const v = await import(args.origin + '/valibot.js');
       const api = defineContract({ client: { whoami: { data: v.object({}), reply: v.object({ name: v.string(), protocol: v.string() }) } } });
       const c = await connect(api, args.url, { getToken: () => args.token });
       const reply = await c.call('whoami', {});
       await c.close();
       return { reply, state: c.state };`,
      { origin: site.origin, url: site.url('/typed'), token },
    );

    expect(result).toEqual({ reply: { name: 'Bob', protocol: 'wsgate.v1' }, state: 'closed' });
    expect(tokens).toEqual([token]);
    expect(protocols).toEqual(['wsgate.v1']);
    expect(site.answers.map((a) => a.status)).toEqual([101]);
    expect(site.answers[0].head).toMatch(/\r\nSec-WebSocket-Protocol: wsgate\.v1(\r\n|$)/i);
    expect(site.answers[0].head).not.toContain('wsgate.bearer');

    const logged = [...site.logger.errors, ...site.logger.warnings, ...site.logger.debugs].join('\n');
    expect(logged).not.toContain(bearerProtocol(token)); // not the token, in either form…
    expect(logged).not.toContain(token);
    expect(logged).toContain('opened /typed'); // …though the application's line is there,
    expect(logged).toContain('"sec-websocket-protocol":"wsgate.v1"'); // with the other offered protocol
    expect(site.logger.errors).toEqual([]);
  });
});
