/**
 * Issue 5, browser: headless Chromium (Debian's, through playwright-core) against wsgate.
 * Every server, page and the browser itself are closed by the hooks below.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { CheckOrigin, Connection, Gateway, OnClose, OnMessage, OnOpen, Subprotocol, type IncomingMessage } from '../../src';
import { startEcho } from '../../samples/echo';
import { launchBrowser, runInPage, type TestBrowser } from './helpers/browser';
import { startGatewayServer, startPageServer, type GatewayServer } from './helpers/servers';
import { eventually } from '../helpers/eventually';

const ARTIFACTS = join(__dirname, 'artifacts');

// ---------------------------------------------------------------------------------------------
// What the gateways saw, for server-side assertions.

interface Seen {
  gateway: string;
  type: 'checkOrigin' | 'offered' | 'open' | 'message' | 'close' | 'closeResolved';
  origin?: string;
  offered?: string[];
  subprotocol?: string;
  kind?: 'string' | 'buffer';
  length?: number;
  code?: number;
  reason?: string;
}
const seen: Seen[] = [];
const seenBy = (gateway: string, type?: Seen['type']): Seen[] => seen.filter((s) => s.gateway === gateway && (!type || s.type === type));

/** Who @CheckOrigin of TrustingGateway lets in (set by each test). */
let trustedOrigin = '';

const JSON_REPLY = { hello: 'world', n: 42, list: [1, 2, 3], nested: { ok: true, none: null } };

/** Echo with a few commands; shared by the gateways below. */
abstract class CommandEcho {
  protected abstract readonly name: string;
  constructor(protected readonly conn: Connection) {}

  @OnOpen() open(): void {
    seen.push({ gateway: this.name, type: 'open', subprotocol: this.conn.selectedSubprotocol, origin: this.conn.request.headers.origin });
  }

  @OnMessage() async onMessage(m: IncomingMessage): Promise<unknown> {
    seen.push({ gateway: this.name, type: 'message', kind: typeof m === 'string' ? 'string' : 'buffer', length: m.length });
    if (typeof m === 'string') {
      const close = /^close:(\d+):(.*)$/.exec(m);
      if (close) {
        await this.conn.close(Number(close[1]), close[2]);
        seen.push({ gateway: this.name, type: 'closeResolved' });
        return undefined;
      }
      if (m === 'json') return JSON_REPLY; // writeMessage(object) → JSON text frame
      if (m === 'binary-text') return this.conn.writeMessage('bytes from a string', { binary: true });
    }
    return m; // string → text frame, Buffer → binary frame
  }

  @OnClose() onClose(): void {
    seen.push({ gateway: this.name, type: 'close', code: this.conn.closeCode, reason: this.conn.closeReason });
  }
}

@Gateway('/echo')
class EchoGateway extends CommandEcho {
  protected readonly name = 'echo';
  // Its own constructor, so that TypeScript emits the design:paramtypes tsyringe injects from.
  constructor(conn: Connection) {
    super(conn);
  }
}

@Gateway('/deflate', { compression: {} })
class DeflateGateway extends CommandEcho {
  protected readonly name = 'deflate';
  // Its own constructor, so that TypeScript emits the design:paramtypes tsyringe injects from.
  constructor(conn: Connection) {
    super(conn);
  }
}

/** The default origin rule: the Origin's host:port must equal the Host header. */
@Gateway('/strict')
class StrictGateway extends CommandEcho {
  protected readonly name = 'strict';
  // Its own constructor, so that TypeScript emits the design:paramtypes tsyringe injects from.
  constructor(conn: Connection) {
    super(conn);
  }
}

@Gateway('/trusting')
class TrustingGateway extends CommandEcho {
  protected readonly name = 'trusting';
  // Its own constructor, so that TypeScript emits the design:paramtypes tsyringe injects from.
  constructor(conn: Connection) {
    super(conn);
  }
  @CheckOrigin() checkOrigin(origin: string): boolean {
    seen.push({ gateway: this.name, type: 'checkOrigin', origin });
    return origin === trustedOrigin;
  }
}

@Gateway('/proto')
class ProtoGateway extends CommandEcho {
  protected readonly name = 'proto';
  // Its own constructor, so that TypeScript emits the design:paramtypes tsyringe injects from.
  constructor(conn: Connection) {
    super(conn);
  }
  @Subprotocol() select(offered: string[]): string | null {
    seen.push({ gateway: this.name, type: 'offered', offered });
    return offered.includes('v2') ? 'v2' : null;
  }
}

const GATEWAYS = [EchoGateway, DeflateGateway, StrictGateway, TrustingGateway, ProtoGateway];

// ---------------------------------------------------------------------------------------------
// Page-side code (kept as text: the tests' TypeScript config has no DOM lib).

/** Opens a WebSocket and resolves when it opened or failed: { opened, protocol, extensions, closeCode, error }. */
const OPEN = `
  const ws = new WebSocket(args.url, args.protocols);
  ws.binaryType = 'arraybuffer';
  window.__ws = ws;
  return await new Promise((resolve) => {
    let errored = false;
    ws.onerror = () => { errored = true; };
    ws.onopen = () => resolve({ opened: true, protocol: ws.protocol, extensions: ws.extensions });
    ws.onclose = (e) => resolve({ opened: false, error: errored, closeCode: e.code, wasClean: e.wasClean });
    setTimeout(() => resolve({ opened: false, timeout: true }), 10000);
  });
`;

/** Sends args.send on window.__ws (text, or bytes when args.bytes) and resolves with the next message, described. */
const ROUND_TRIP = `
  const ws = window.__ws;
  const reply = new Promise((resolve, reject) => {
    ws.onmessage = (e) => {
      if (typeof e.data === 'string') resolve({ type: 'string', text: e.data });
      else resolve({ type: e.data instanceof ArrayBuffer ? 'arraybuffer' : typeof e.data, bytes: Array.from(new Uint8Array(e.data)) });
    };
    ws.onclose = (e) => reject(new Error('closed ' + e.code));
    setTimeout(() => reject(new Error('no reply in 10 s')), 10000);
  });
  if (args.bytes) ws.send(new Uint8Array(args.bytes).buffer); else ws.send(args.send);
  return await reply;
`;

/** Resolves with window.__ws's CloseEvent, after optionally sending args.send or closing with args.code/args.reason. */
const AWAIT_CLOSE = `
  const ws = window.__ws;
  const closed = new Promise((resolve) => {
    ws.onclose = (e) => resolve({ code: e.code, reason: e.reason, wasClean: e.wasClean });
    setTimeout(() => resolve({ timeout: true }), 10000);
  });
  if (args.send !== undefined) ws.send(args.send);
  if (args.code !== undefined) ws.close(args.code, args.reason);
  return await closed;
`;

interface Opened {
  opened: boolean;
  protocol?: string;
  extensions?: string;
  error?: boolean;
  closeCode?: number;
  wasClean?: boolean;
  timeout?: boolean;
}
interface Reply {
  type: string;
  text?: string;
  bytes?: number[];
}
interface Closed {
  code?: number;
  reason?: string;
  wasClean?: boolean;
  timeout?: boolean;
}

// ---------------------------------------------------------------------------------------------

let browser: TestBrowser;
const stops: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  seen.length = 0;
  trustedOrigin = '';
});

async function newPage(): Promise<Page> {
  const page = await browser.newPage();
  stops.push(() => page.close());
  return page;
}

async function gatewayServer(): Promise<GatewayServer> {
  const gs = await startGatewayServer({ gateways: GATEWAYS });
  stops.push(() => gs.stop());
  return gs;
}

/** A page of the gateway server's own origin (so the default origin rule lets it in). */
async function sameOriginPage(gs: GatewayServer): Promise<Page> {
  const page = await newPage();
  await page.goto(`${gs.origin}/blank`);
  return page;
}

describe('Chromium against wsgate', () => {
  test('the echo sample page does the seed example end to end ("Hello, world" → "You said: Hello, world")', async () => {
    const logs: unknown[][] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void logs.push(args));
    stops.push(async () => log.mockRestore());
    const echo = await startEcho(0, '127.0.0.1');
    // echo.stop() alone waits for Chromium's idle keep-alive/preconnected sockets to time out
    // (about 70 s): cut those once server.close() has been called.
    const stopEcho = async (): Promise<void> => {
      const stopping = echo.stop();
      await new Promise((resolve) => setImmediate(resolve));
      echo.server.closeAllConnections();
      await stopping;
    };
    stops.push(stopEcho);

    const page = await newPage();
    await page.goto(`http://localhost:${echo.address.port}/`);
    const log0 = page.locator('#log li').first();
    await log0.waitFor({ timeout: 10000 });
    expect(await log0.textContent()).toBe('You said: Hello, world');
    expect(await page.locator('#status').textContent()).toBe('open');
    expect(echo.app.connectionCount).toBe(1);
    expect(logs).toContainEqual(['WebSocket opened']);

    // A person types into the page's form: the second answer appears under the first.
    await page.fill('#text', 'Bonjour, wsgate');
    await page.click('button');
    await page.locator('#log li').nth(1).waitFor({ timeout: 10000 });
    expect(await page.locator('#log li').allTextContents()).toEqual(['You said: Hello, world', 'You said: Bonjour, wsgate']);

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'echo-page.png'), fullPage: true });

    // Stopping the sample closes the page's socket with 1001 and runs @OnClose.
    await stopEcho();
    await page.waitForFunction("document.getElementById('status').textContent.startsWith('closed')", undefined, { timeout: 10000 });
    expect(await page.locator('#status').textContent()).toBe('closed (1001)');
    expect(logs.some((l) => l[0] === 'WebSocket closed')).toBe(true);
  });

  test('a page of another origin is refused by the default origin rule: 403, no @OnOpen', async () => {
    const gs = await gatewayServer();
    const other = await startPageServer();
    stops.push(() => other.stop());
    const page = await newPage();
    await page.goto(`${other.origin}/`);

    const result = await runInPage<Opened>(page, OPEN, { url: gs.url('/strict') });
    expect(result).toEqual({ opened: false, error: true, closeCode: 1006, wasClean: false });
    // Server side: the browser's own request was answered 403 and no gateway opened.
    expect(gs.answers.map((a) => [a.url, a.origin, a.status])).toEqual([['/strict', other.origin, 403]]);
    expect(seenBy('strict', 'open')).toEqual([]);
    expect(gs.app.connectionCount).toBe(0);

    // The same gateway lets a page of its own origin in.
    const own = await sameOriginPage(gs);
    expect(await runInPage<Opened>(own, OPEN, { url: gs.url('/strict') })).toMatchObject({ opened: true });
    expect(await runInPage<Reply>(own, ROUND_TRIP, { send: 'same origin' })).toEqual({ type: 'string', text: 'same origin' });
    expect(seenBy('strict', 'open')).toEqual([expect.objectContaining({ origin: gs.origin })]);
  });

  test('@CheckOrigin decides: it lets the foreign page in when it accepts that origin, and answers 403 when not', async () => {
    const gs = await gatewayServer();
    const other = await startPageServer();
    stops.push(() => other.stop());
    const page = await newPage();
    await page.goto(`${other.origin}/`);

    trustedOrigin = 'http://trusted.example';
    expect(await runInPage<Opened>(page, OPEN, { url: gs.url('/trusting') })).toEqual({ opened: false, error: true, closeCode: 1006, wasClean: false });
    expect(gs.answers.map((a) => a.status)).toEqual([403]);
    expect(seenBy('trusting', 'checkOrigin')).toEqual([expect.objectContaining({ origin: other.origin })]);
    expect(seenBy('trusting', 'open')).toEqual([]);

    trustedOrigin = other.origin;
    const result = await runInPage<Opened>(page, OPEN, { url: gs.url('/trusting') });
    expect(result).toMatchObject({ opened: true });
    expect(gs.answers.map((a) => a.status)).toEqual([403, 101]);
    expect(await runInPage<Reply>(page, ROUND_TRIP, { send: 'from another origin' })).toEqual({ type: 'string', text: 'from another origin' });
    expect(seenBy('trusting', 'open')).toEqual([expect.objectContaining({ origin: other.origin })]);
  });

  test("new WebSocket(url, ['v1', 'v2']) gets protocol 'v2' chosen by @Subprotocol", async () => {
    const gs = await gatewayServer();
    const page = await sameOriginPage(gs);
    const result = await runInPage<Opened>(page, OPEN, { url: gs.url('/proto'), protocols: ['v1', 'v2'] });
    expect(result).toEqual({ opened: true, protocol: 'v2', extensions: '' });
    expect(seenBy('proto', 'offered')).toEqual([expect.objectContaining({ offered: ['v1', 'v2'] })]);
    expect(seenBy('proto', 'open')).toEqual([expect.objectContaining({ subprotocol: 'v2' })]);
    expect(gs.answers[0].head).toMatch(/\r\nSec-WebSocket-Protocol: v2(\r\n|$)/i);
    expect(await runInPage<Reply>(page, ROUND_TRIP, { send: 'with v2' })).toEqual({ type: 'string', text: 'with v2' });
  });

  test('a page offering only an unknown subprotocol: wsgate answers 101 without one (as tornado), Chromium then fails the connection', async () => {
    // Peer disagreement, documented: tornado and wsgate accept "none selected"; Chromium does not.
    const gs = await gatewayServer();
    const page = await sameOriginPage(gs);
    const result = await runInPage<Opened>(page, OPEN, { url: gs.url('/proto'), protocols: ['v1'] });
    expect(result).toMatchObject({ opened: false, error: true, closeCode: 1006 });
    expect(gs.answers.map((a) => a.status)).toEqual([101]);
    expect(gs.answers[0].head).not.toMatch(/Sec-WebSocket-Protocol/i);
    expect(seenBy('proto', 'offered')).toEqual([expect.objectContaining({ offered: ['v1'] })]);
    // The server saw the socket open and then drop without a close frame: @OnClose ran with no code.
    await eventually(() => seenBy('proto', 'close').length === 1, '@OnClose of the dropped connection', 10_000);
    expect(seenBy('proto', 'close')).toEqual([expect.objectContaining({ code: undefined, reason: undefined })]);
  });

  test('binary: an ArrayBuffer comes back as the same bytes; a string sent with { binary: true } arrives as an ArrayBuffer', async () => {
    const gs = await gatewayServer();
    const page = await sameOriginPage(gs);
    expect(await runInPage<Opened>(page, OPEN, { url: gs.url('/echo') })).toMatchObject({ opened: true });
    const bytes = Array.from({ length: 1024 }, (_, i) => (i * 7 + 3) % 256);
    expect(await runInPage<Reply>(page, ROUND_TRIP, { bytes })).toEqual({ type: 'arraybuffer', bytes });
    expect(seenBy('echo', 'message')).toEqual([expect.objectContaining({ kind: 'buffer', length: 1024 })]);

    const reply = await runInPage<Reply>(page, ROUND_TRIP, { send: 'binary-text' });
    expect(reply.type).toBe('arraybuffer');
    expect(Buffer.from(reply.bytes ?? []).toString('utf8')).toBe('bytes from a string');
  });

  test('JSON: an object returned by @OnMessage reaches the page as a text frame it can JSON.parse', async () => {
    const gs = await gatewayServer();
    const page = await sameOriginPage(gs);
    expect(await runInPage<Opened>(page, OPEN, { url: gs.url('/echo') })).toMatchObject({ opened: true });
    const parsed = await runInPage<{ type: string; value: unknown }>(
      page,
      `const ws = window.__ws;
       const reply = new Promise((resolve) => { ws.onmessage = (e) => resolve({ type: typeof e.data, value: JSON.parse(e.data) }); });
       ws.send('json');
       return await reply;`,
    );
    expect(parsed).toEqual({ type: 'string', value: JSON_REPLY });
  });

  test('compression: ws.extensions shows permessage-deflate on a gateway with compression, and nothing without', async () => {
    const gs = await gatewayServer();
    const page = await sameOriginPage(gs);
    const deflated = await runInPage<Opened>(page, OPEN, { url: gs.url('/deflate') });
    expect(deflated.opened).toBe(true);
    expect(deflated.extensions).toMatch(/^permessage-deflate\b/);
    expect(gs.answers[0].head).toMatch(/\r\nSec-WebSocket-Extensions: permessage-deflate/i);
    // A large, very compressible message survives deflate in both directions.
    const big = 'wsgate compresses this. '.repeat(20000);
    const reply = await runInPage<Reply>(page, ROUND_TRIP, { send: big });
    expect(reply.type).toBe('string');
    expect(reply.text?.length).toBe(big.length);
    expect(reply.text === big).toBe(true);

    const plain = await runInPage<Opened>(page, OPEN, { url: gs.url('/echo') });
    expect(plain).toEqual({ opened: true, protocol: '', extensions: '' });
    expect(gs.answers[1].head).not.toMatch(/Sec-WebSocket-Extensions/i);
  });

  test('a close with 4001 and a reason from the page reaches conn.closeCode / conn.closeReason', async () => {
    const gs = await gatewayServer();
    const page = await sameOriginPage(gs);
    expect(await runInPage<Opened>(page, OPEN, { url: gs.url('/echo') })).toMatchObject({ opened: true });
    const closed = await runInPage<Closed>(page, AWAIT_CLOSE, { code: 4001, reason: 'page says bye' });
    // wsgate echoes the code (RFC 6455 §5.5.1), so the page's close is clean.
    expect(closed).toMatchObject({ code: 4001, wasClean: true });
    await eventually(() => seenBy('echo', 'close').length === 1, '@OnClose', 10_000);
    expect(seenBy('echo', 'close')).toEqual([expect.objectContaining({ code: 4001, reason: 'page says bye' })]);
    expect(gs.app.connectionCount).toBe(0);
  });

  test("a server close with 4002 reaches the page's CloseEvent", async () => {
    const gs = await gatewayServer();
    const page = await sameOriginPage(gs);
    expect(await runInPage<Opened>(page, OPEN, { url: gs.url('/echo') })).toMatchObject({ opened: true });
    const closed = await runInPage<Closed>(page, AWAIT_CLOSE, { send: 'close:4002:server says bye' });
    expect(closed).toEqual({ code: 4002, reason: 'server says bye', wasClean: true });
    // `await conn.close()` inside the handler resolved, after @OnClose ran.
    await eventually(() => seenBy('echo', 'closeResolved').length === 1, 'conn.close() to resolve', 10_000);
    const order = seenBy('echo').map((s) => s.type);
    expect(order.indexOf('close')).toBeLessThan(order.indexOf('closeResolved'));
    // Chromium answers with the same code (without the reason).
    expect(seenBy('echo', 'close')).toEqual([expect.objectContaining({ code: 4002 })]);
    expect(gs.errors).toEqual([]);
  });
});
