/**
 * `handshakeRateLimit` over real sockets: 429 with Retry-After past the budget, before anything of
 * the gateway is built; scopes, custom keys, IPv6, trustProxy, failures of the key function and of
 * the store, and the createApp checks.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterRes } from 'rate-limiter-flexible';
import { createClient } from 'redis';
import {
  createApp,
  Gateway,
  injectable,
  GatewayDefinitionError,
  OnMessage,
  OnOpen,
  WebSocketHandshakeError,
  websocketConnect,
  type AppOptions,
  type GatewayOptions,
  type Guard,
  type Handshake,
  type HandshakeRateLimit,
} from '../../src';
import { memoryLogger, startApp } from '../helpers/app';
import { onCleanup } from '../helpers/cleanup';
import { eventually } from '../helpers/eventually';
import { rawRequest, upgradeHeaders } from '../helpers/http';
import { closed, connect } from '../helpers/ws-client';

/** A gateway on `path` with `options`, counting the instances built and the @OnOpen calls. */
function countingGateway(path: string, options: GatewayOptions = {}) {
  const seen = { built: 0, opened: 0 };
  @Gateway(path, options)
  class CountingGateway {
    constructor() {
      seen.built++;
    }
    @OnOpen() open(): void {
      seen.opened++;
    }
    @OnMessage() echo(m: string): string {
      return m;
    }
  }
  return { gateway: CountingGateway, seen };
}

/** The status of one hand-written upgrade request (a 101's socket is closed at once). */
const statusOf = (port: number, path: string, headers: Record<string, string | undefined> = {}) =>
  rawRequest(port, path, upgradeHeaders(headers)).then((r) => r.status);

/** The answer `ws`'s client gets when the server does not switch protocols. */
function unexpectedResponse(url: string): Promise<{ status: number; retryAfter: string | undefined }> {
  const ws = new WebSocket(url);
  onCleanup(() => ws.terminate());
  ws.on('error', () => undefined); // terminate() of a refused handshake reports one
  return new Promise((resolve, reject) => {
    ws.once('open', () => reject(new Error('the handshake was accepted')));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] });
      res.resume();
    });
  });
}

describe('handshakeRateLimit', () => {
  it('lets 20 handshakes from one address through; the 21st gets 429 with Retry-After ≥ 1 and builds nothing', async () => {
    const { gateway, seen } = countingGateway('/limited', { handshakeRateLimit: { points: 20, duration: 60 } });
    const { url, port } = await startApp([gateway]);
    for (let i = 0; i < 20; i++) await connect(url('/limited'));
    await eventually(() => seen.opened === 20, '20 @OnOpen');

    const refused = await unexpectedResponse(url('/limited'));
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(60);
    expect(refused.retryAfter).toMatch(/^\d+$/);

    const err = await websocketConnect(url('/limited')).then(
      (conn) => {
        conn.close();
        throw new Error('connected');
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WebSocketHandshakeError);
    expect((err as WebSocketHandshakeError).status).toBe(429);

    const raw = await rawRequest(port, '/limited', upgradeHeaders());
    expect(raw.status).toBe(429);
    expect(raw.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(raw.body).toMatch(/^Too many handshakes: retry in \d+ s\.\n$/);

    expect(seen.built).toBe(20);
    expect(seen.opened).toBe(20);
  });

  it("is checked before the origin rule: a refused origin spends a point, and past the budget the answer is 429, not 403", async () => {
    const { gateway, seen } = countingGateway('/o', { origins: ['https://ok.example'], handshakeRateLimit: { points: 2, duration: 60 } });
    const { port } = await startApp([gateway]);
    expect(await statusOf(port, '/o', { Origin: 'https://evil.example' })).toBe(403);
    expect(await statusOf(port, '/o', { Origin: 'https://ok.example' })).toBe(101);
    expect(await statusOf(port, '/o', { Origin: 'https://evil.example' })).toBe(429);
    expect(await statusOf(port, '/o', { Origin: 'https://ok.example' })).toBe(429);
    expect(seen.built).toBe(1);
  });

  it("scope 'gateway' (the default) gives each gateway its own budget; scope 'app' one budget for the app's gateways", async () => {
    const perGateway = { points: 2, duration: 60 } as const;
    const a = countingGateway('/a', { handshakeRateLimit: perGateway });
    const b = countingGateway('/b', { handshakeRateLimit: perGateway });
    const own = await startApp([a.gateway, b.gateway]);
    expect([await statusOf(own.port, '/a'), await statusOf(own.port, '/a'), await statusOf(own.port, '/a')]).toEqual([101, 101, 429]);
    expect([await statusOf(own.port, '/b'), await statusOf(own.port, '/b'), await statusOf(own.port, '/b')]).toEqual([101, 101, 429]);

    const shared: HandshakeRateLimit = { points: 2, duration: 60, scope: 'app' };
    const c = countingGateway('/c', { handshakeRateLimit: shared });
    const d = countingGateway('/d', { handshakeRateLimit: { ...shared } });
    const e = countingGateway('/e'); // no limit of its own, none app-wide
    const app = await startApp([c.gateway, d.gateway, e.gateway]);
    expect([await statusOf(app.port, '/c'), await statusOf(app.port, '/d'), await statusOf(app.port, '/c'), await statusOf(app.port, '/d')]).toEqual([
      101, 101, 429, 429,
    ]);
    expect([await statusOf(app.port, '/e'), await statusOf(app.port, '/e'), await statusOf(app.port, '/e')]).toEqual([101, 101, 101]);
  });

  it('an app-wide handshakeRateLimit applies to every gateway (each its own budget); a gateway may set its own', async () => {
    const a = countingGateway('/a');
    const b = countingGateway('/b', { handshakeRateLimit: { points: 3, duration: 60 } });
    const { port } = await startApp([a.gateway, b.gateway], { handshakeRateLimit: { points: 1, duration: 60 } });
    expect([await statusOf(port, '/a'), await statusOf(port, '/a')]).toEqual([101, 429]);
    expect([await statusOf(port, '/b'), await statusOf(port, '/b'), await statusOf(port, '/b'), await statusOf(port, '/b')]).toEqual([
      101, 101, 101, 429,
    ]);
  });

  it('handshakeRateLimit: false on a gateway turns the app-wide limit off for it', async () => {
    const limited = countingGateway('/limited');
    const health = countingGateway('/health', { handshakeRateLimit: false });
    const { port } = await startApp([limited.gateway, health.gateway], { handshakeRateLimit: { points: 1, duration: 60 } });
    expect([await statusOf(port, '/limited'), await statusOf(port, '/limited')]).toEqual([101, 429]);
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push(await statusOf(port, '/health'));
    expect(statuses).toEqual([101, 101, 101, 101, 101]);
  });

  it('a custom key counts by what it returns (here the path parameter and a header)', async () => {
    const keys: string[] = [];
    const { gateway } = countingGateway('/room/:room', {
      handshakeRateLimit: {
        points: 1,
        duration: 60,
        key: (h) => {
          const key = `${h.params.room}/${String(h.headers['x-user'])}/${h.query.get('v') ?? ''}`;
          keys.push(key);
          return key;
        },
      },
    });
    const { port } = await startApp([gateway]);
    expect(await statusOf(port, '/room/a?v=1', { 'X-User': 'ann' })).toBe(101);
    expect(await statusOf(port, '/room/a?v=1', { 'X-User': 'ann' })).toBe(429);
    expect(await statusOf(port, '/room/b?v=1', { 'X-User': 'ann' })).toBe(101);
    expect(await statusOf(port, '/room/a?v=1', { 'X-User': 'bob' })).toBe(101);
    expect(keys).toEqual(['a/ann/1', 'a/ann/1', 'b/ann/1', 'a/bob/1']);
  });

  it("with rejectWith: 'close', past the budget: a 101 offering wsgate.v1, then close 4429 with retry-after in the reason; nothing built", async () => {
    const { gateway, seen } = countingGateway('/c', { rejectWith: 'close', handshakeRateLimit: { points: 1, duration: 60 } });
    const { url, port } = await startApp([gateway]);
    await connect(url('/c'));
    const ws = new WebSocket(url('/c'), ['wsgate.v1']);
    onCleanup(() => ws.terminate());
    await once(ws, 'open');
    expect(ws.protocol).toBe('wsgate.v1');
    const { code, reason } = await closed(ws);
    expect(code).toBe(4429);
    expect(reason).toMatch(/^retry-after=\d+; Too many handshakes: retry in \d+ s\.$/);
    expect(Number(/^retry-after=(\d+)/.exec(reason)?.[1])).toBeGreaterThanOrEqual(1);
    // A request ws could not upgrade (no key) gets the 429 over HTTP.
    expect(await statusOf(port, '/c', { 'Sec-WebSocket-Key': undefined })).toBe(429);
    expect(seen.built).toBe(1);
    expect(seen.opened).toBe(1);
  });

  it('a rate-limited handshake never reaches the guards; a guard behind trustProxy sees the same client address the limit counted', async () => {
    const guardSaw: Array<string | undefined> = [];
    @injectable()
    class AddressGuard implements Guard {
      authenticate(h: Handshake): boolean {
        guardSaw.push(h.remoteAddress);
        return true;
      }
    }
    const { gateway, seen } = countingGateway('/g', { guards: [AddressGuard], handshakeRateLimit: { points: 1, duration: 60 } });
    const { port } = await startApp([gateway], { trustProxy: ['loopback'] });
    expect(await statusOf(port, '/g', { 'X-Forwarded-For': '203.0.113.9' })).toBe(101);
    expect(await statusOf(port, '/g', { 'X-Forwarded-For': '203.0.113.9' })).toBe(429);
    expect(await statusOf(port, '/g', { 'X-Forwarded-For': '203.0.113.10, 127.0.0.5' })).toBe(101);
    expect(guardSaw).toEqual(['203.0.113.9', '203.0.113.10']);
    expect(seen.built).toBe(2);
  });

  it('a key function that throws (or returns no string) answers 500, logged, and builds nothing', async () => {
    const { gateway, seen } = countingGateway('/k', {
      handshakeRateLimit: {
        points: 5,
        duration: 60,
        key: (h) => {
          if (h.headers['x-kind'] === 'number') return 42 as unknown as string;
          throw new Error('no key for you');
        },
      },
    });
    const { port, logger } = await startApp([gateway]);
    expect(await statusOf(port, '/k')).toBe(500);
    expect(await statusOf(port, '/k', { 'X-Kind': 'number' })).toBe(500);
    expect(logger.errors).toEqual([
      'wsgate: CountingGateway: the handshakeRateLimit key function failed: Error: no key for you',
      'wsgate: CountingGateway: the handshakeRateLimit key function failed: TypeError: returned number, not a string',
    ]);
    expect(seen.built).toBe(0);
  });

  it('counts by the client address behind trustProxy: 1 (two X-Forwarded-For clients, two budgets), by the socket without it', async () => {
    const behind = countingGateway('/p', { handshakeRateLimit: { points: 1, duration: 60 } });
    const proxied = await startApp([behind.gateway], { trustProxy: 1 });
    expect(await statusOf(proxied.port, '/p', { 'X-Forwarded-For': '198.51.100.1' })).toBe(101);
    expect(await statusOf(proxied.port, '/p', { 'X-Forwarded-For': '198.51.100.2' })).toBe(101);
    expect(await statusOf(proxied.port, '/p', { 'X-Forwarded-For': '6.6.6.6, 198.51.100.1' })).toBe(429);
    expect(await statusOf(proxied.port, '/p', { Forwarded: 'for="[2001:db8::1]:1234"' })).toBe(101);
    expect(await statusOf(proxied.port, '/p', { Forwarded: 'for="[2001:db8::2]"' })).toBe(429); // the same /64

    const direct = countingGateway('/p', { handshakeRateLimit: { points: 1, duration: 60 } });
    const plain = await startApp([direct.gateway]);
    expect(await statusOf(plain.port, '/p', { 'X-Forwarded-For': '198.51.100.1' })).toBe(101);
    expect(await statusOf(plain.port, '/p', { 'X-Forwarded-For': '198.51.100.2' })).toBe(429);
  });

  it('counts a client on the IPv6 loopback ::1 apart from 127.0.0.1 (one app listening on both)', async () => {
    const { gateway } = countingGateway('/v6', { handshakeRateLimit: { points: 1, duration: 60 } });
    const app = createApp({ gateways: [gateway], logger: memoryLogger() });
    onCleanup(() => app.close());
    const v6 = await app.listen(0, '::1');
    // A second server (attach) on 127.0.0.1 serves the same app: same gateways, same budgets.
    const server = createServer();
    app.attach(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const v4port = (server.address() as { port: number }).port;

    const v6status = () =>
      new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(`ws://[::1]:${v6.port}/v6`);
        onCleanup(() => ws.terminate());
        ws.on('error', () => undefined);
        ws.once('open', () => resolve(101));
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('error', reject);
      });
    expect(await v6status()).toBe(101);
    expect(await v6status()).toBe(429);
    expect(await statusOf(v4port, '/v6')).toBe(101);
    expect(await statusOf(v4port, '/v6')).toBe(429);
  });

  it('behind a local proxy on a Unix socket with trustProxy: 1, counts each forwarded client apart', async () => {
    const { gateway } = countingGateway('/u', { handshakeRateLimit: { points: 1, duration: 60 } });
    const app = createApp({ gateways: [gateway], logger: memoryLogger(), trustProxy: 1 });
    onCleanup(() => app.close());
    const dir = mkdtempSync(join(tmpdir(), 'wsgate-rl-'));
    onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'ws.sock');
    const server = createServer();
    app.attach(server);
    await new Promise<void>((resolve) => server.listen(path, resolve));
    onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const status = (client: string) =>
      new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(`ws+unix://${path}:/u`, { headers: { 'X-Forwarded-For': client } });
        onCleanup(() => ws.terminate());
        ws.on('error', () => undefined);
        ws.once('open', () => resolve(101));
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('error', reject);
      });
    expect([await status('198.51.100.1'), await status('198.51.100.2'), await status('198.51.100.1')]).toEqual([101, 101, 429]);
  });

  it('lets handshakes through when the store fails, logging the failure once, and a recovery once', async () => {
    // A RateLimiterRedis on a client that never connected rejects with an Error at once (rejectIfRedisNotReady).
    const client = createClient({ url: 'redis://127.0.0.1:1' });
    const store = new RateLimiterRedis({ storeClient: client, useRedisPackage: true, rejectIfRedisNotReady: true, points: 1, duration: 60 });
    const { gateway, seen } = countingGateway('/s', { handshakeRateLimit: { store } });
    const { port, logger } = await startApp([gateway]);
    expect([await statusOf(port, '/s'), await statusOf(port, '/s'), await statusOf(port, '/s')]).toEqual([101, 101, 101]);
    expect(seen.built).toBe(3);
    expect(logger.errors).toHaveLength(1);
    expect(logger.errors[0]).toMatch(/^wsgate: CountingGateway: the handshake rate limiter failed; letting handshakes through until it works again: Error: /);
  });

  it('logs when a failing store works again, and counts from then on', async () => {
    class FlakyStore extends RateLimiterMemory {
      down = true;
      override consume(key: string | number, points?: number): Promise<RateLimiterRes> {
        return this.down ? Promise.reject(new Error('store down')) : super.consume(key, points);
      }
    }
    const store = new FlakyStore({ points: 1, duration: 60 });
    const { gateway } = countingGateway('/f', { handshakeRateLimit: { store, points: 1 } });
    const { port, logger } = await startApp([gateway]);
    expect([await statusOf(port, '/f'), await statusOf(port, '/f')]).toEqual([101, 101]);
    store.down = false;
    expect([await statusOf(port, '/f'), await statusOf(port, '/f')]).toEqual([101, 429]);
    expect(logger.errors).toEqual([
      'wsgate: CountingGateway: the handshake rate limiter failed; letting handshakes through until it works again: Error: store down',
    ]);
    expect(logger.warnings).toEqual(['wsgate: CountingGateway: the handshake rate limiter works again (2 handshake(s) were let through unchecked)']);
  });

  it('a store given to two apps is one budget (points and duration are the store\'s)', async () => {
    const store = new RateLimiterMemory({ points: 3, duration: 60 });
    const one = countingGateway('/x', { handshakeRateLimit: { store } });
    const two = countingGateway('/x', { handshakeRateLimit: { store } });
    const a = await startApp([one.gateway]);
    const b = await startApp([two.gateway]);
    expect([await statusOf(a.port, '/x'), await statusOf(b.port, '/x'), await statusOf(a.port, '/x'), await statusOf(b.port, '/x')]).toEqual([
      101, 101, 101, 429,
    ]);
  });
});

describe('handshakeRateLimit validation at createApp', () => {
  const make = (handshakeRateLimit: unknown, extra: Partial<AppOptions> = {}) => () => {
    @Gateway('/v')
    class V {
      @OnMessage() m(): void {}
    }
    createApp({ gateways: [V], handshakeRateLimit: handshakeRateLimit as HandshakeRateLimit, ...extra });
  };

  it.each([
    [{ points: 0, duration: 1 }, /handshakeRateLimit: points must be an integer ≥ 1, got 0/],
    [{ points: 1.5, duration: 1 }, /points must be an integer ≥ 1, got 1.5/],
    [{ duration: 1 }, /points must be an integer ≥ 1, got undefined/],
    [{ points: 1, duration: 0 }, /duration must be a number of seconds > 0, got 0/],
    [{ points: 1, duration: Infinity }, /duration must be a number of seconds > 0/],
    [{ points: 1, duration: 1, scope: 'node' }, /scope must be 'gateway' or 'app', got node/],
    [{ points: 1, duration: 1, key: 'ip' }, /key must be a function/],
    [{ store: {} }, /store must be a limiter of rate-limiter-flexible/],
    [{ store: new RateLimiterMemory({ points: 5, duration: 10 }), points: 4 }, /points \(4\) differs from the store's \(5\)/],
    [{ store: new RateLimiterMemory({ points: 5, duration: 10 }), duration: 9 }, /duration \(9\) differs from the store's \(10\)/],
    [20, /must be an object/],
  ])('%p is refused', (option, message) => {
    expect(make(option)).toThrow(GatewayDefinitionError);
    expect(make(option)).toThrow(message);
  });

  it("refuses two scope 'app' limits that disagree, naming both gateways", () => {
    @Gateway('/one', { handshakeRateLimit: { points: 2, duration: 60, scope: 'app' } })
    class One {
      @OnMessage() m(): void {}
    }
    @Gateway('/two', { handshakeRateLimit: { points: 3, duration: 60, scope: 'app' } })
    class Two {
      @OnMessage() m(): void {}
    }
    expect(() => createApp({ gateways: [One, Two] })).toThrow(
      new GatewayDefinitionError("Two: handshakeRateLimit with scope 'app' must have the points, duration and store of One's: one budget is shared"),
    );
  });

  it('accepts a well-formed limit, with or without a store', () => {
    expect(make({ points: 1, duration: 0.5, scope: 'app', key: () => 'k' })).not.toThrow();
    expect(make({ store: new RateLimiterMemory({ points: 5, duration: 10 }), points: 5, duration: 10 })).not.toThrow();
  });
});
