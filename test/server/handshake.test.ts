import { Lifecycle, scoped } from 'tsyringe';
import { CheckOrigin, Connection, Gateway, OnMessage, OnOpen, Subprotocol } from '../../src';
import { startApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { rawRequest, upgradeHeaders } from '../helpers/http';
import { connect, nextMessage } from '../helpers/ws-client';

/**
 * An echo gateway (fresh for each call) with a ContainerScoped probe, and what they observed: the
 * gateways constructed and the probes disposed.
 */
function echoFixture() {
  const constructed: string[] = [];
  const disposed: string[] = [];
  /** One per connection attempt that got an instance: disposed with it. */
  @scoped(Lifecycle.ContainerScoped)
  class HandshakeProbe {
    dispose(): void {
      disposed.push('probe');
    }
  }
  @Gateway('/echo')
  class EchoGateway {
    constructor(
      private readonly conn: Connection,
      readonly probe: HandshakeProbe,
    ) {
      constructed.push('EchoGateway');
    }
    @OnMessage() message(m: string): Promise<void> {
      return this.conn.writeMessage(m);
    }
  }
  return { EchoGateway, constructed, disposed };
}

/** A gateway (fresh for each call) that answers with the arguments its @OnOpen got and conn.params. */
function reportsOpenArgsGateway() {
  @Gateway('/params/:a/:b')
  class ReportsOpenArgsGateway {
    private args: string[] = [];
    constructor(private readonly conn: Connection) {}
    @OnOpen() open(...args: string[]): void {
      this.args = args;
    }
    @OnMessage() message(): object {
      return { args: this.args, params: this.conn.params };
    }
  }
  return ReportsOpenArgsGateway;
}

/**
 * A gateway (fresh for each call) whose @Subprotocol selects 'v2' when offered (none otherwise, and
 * one that was not offered when 'bogus' is), with the offers it saw.
 */
function subprotocolFixture() {
  const offeredSeen: string[][] = [];
  @Gateway('/proto')
  class SubprotocolGateway {
    constructor(private readonly conn: Connection) {}
    @Subprotocol() select(offered: string[]): string | null {
      offeredSeen.push(offered);
      if (offered.includes('bogus')) return 'not-offered';
      return offered.includes('v2') ? 'v2' : null;
    }
    @OnMessage() message(): string {
      return `selected ${String(this.conn.selectedSubprotocol)}`;
    }
  }
  return { SubprotocolGateway, offeredSeen };
}

describe('handshake answers (docs/behaviour.md#handshake)', () => {
  it('answers 404 for an unknown path without creating any gateway', async () => {
    const { EchoGateway, constructed } = echoFixture();
    const { port } = await startApp([EchoGateway]);
    const res = await rawRequest(port, '/nowhere', upgradeHeaders());
    expect(res.status).toBe(404);
    expect(res.body).toMatch(/Not Found/);
    expect(constructed).toEqual([]);
  });

  it('answers 405 to an upgrade that is not a GET', async () => {
    const { EchoGateway, constructed } = echoFixture();
    const { port } = await startApp([EchoGateway]);
    const res = await rawRequest(port, '/echo', { ...upgradeHeaders(), 'Content-Length': '0' }, 'POST');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET');
    expect(constructed).toEqual([]);
  });

  it('answers 426 with Upgrade: websocket to a plain GET of a gateway path', async () => {
    const { EchoGateway } = echoFixture();
    const { port } = await startApp([EchoGateway]);
    const res = await rawRequest(port, '/echo', { Host: 'localhost' });
    expect(res.status).toBe(426);
    expect(res.headers.upgrade).toBe('websocket');
    expect(res.body.length).toBeGreaterThan(0);
  });

  it('answers 404 to a plain GET of an unknown path', async () => {
    const { EchoGateway } = echoFixture();
    const { port } = await startApp([EchoGateway]);
    expect((await rawRequest(port, '/', { Host: 'localhost' })).status).toBe(404);
  });

  it('answers 400 to Upgrade: websocket with a Connection header lacking upgrade', async () => {
    const { EchoGateway } = echoFixture();
    const { port } = await startApp([EchoGateway]);
    const res = await rawRequest(port, '/echo', upgradeHeaders({ Connection: 'keep-alive' }));
    expect(res.status).toBe(400);
    expect(res.body).toMatch(/Connection header must include "upgrade"/);
  });

  it('answers 400 to an upgrade to another protocol', async () => {
    const { EchoGateway } = echoFixture();
    const { port } = await startApp([EchoGateway]);
    const res = await rawRequest(port, '/echo', upgradeHeaders({ Upgrade: 'h2c' }));
    expect(res.status).toBe(400);
    expect(res.body).toMatch(/only to "WebSocket"/);
  });

  it.each([['8'], [undefined]])('answers 426 with Sec-WebSocket-Version: 13 for version %p', async (version) => {
    const { EchoGateway, disposed } = echoFixture();
    const { port } = await startApp([EchoGateway]);
    const res = await rawRequest(port, '/echo', upgradeHeaders({ 'Sec-WebSocket-Version': version }));
    expect(res.status).toBe(426);
    expect(res.headers['sec-websocket-version']).toBe('13');
    expect(disposed).toEqual([]); // no instance was needed to refuse it
  });

  it.each([['short'], [undefined]])('answers 400 for Sec-WebSocket-Key %p', async (key) => {
    const { EchoGateway } = echoFixture();
    const { port } = await startApp([EchoGateway]);
    const res = await rawRequest(port, '/echo', upgradeHeaders({ 'Sec-WebSocket-Key': key }));
    expect(res.status).toBe(400);
    expect(res.body).toMatch(/Sec-WebSocket-Key/);
  });

  it('answers 400 for a malformed percent-encoded path parameter', async () => {
    const { port } = await startApp([reportsOpenArgsGateway()]);
    expect((await rawRequest(port, '/params/%E0%A4%A/x', upgradeHeaders())).status).toBe(400);
  });

  it('answers 400 when ws itself refuses the request, and disposes the instance', async () => {
    const { EchoGateway, constructed, disposed } = echoFixture();
    const { port } = await startApp([EchoGateway]);
    // Our checks pass it; ws's parser refuses the protocol list (a space is not a token character).
    const refused = await rawRequest(port, '/echo', upgradeHeaders({ 'Sec-WebSocket-Protocol': 'a b' }));
    expect(refused.status).toBe(400);
    expect(constructed).toEqual(['EchoGateway']);
    await eventually(() => disposed.length === 1, 'the probe disposed');
  });
});

describe('origin checks', () => {
  it('refuses a foreign Origin with 403 by default, without constructing the gateway', async () => {
    const { EchoGateway, constructed } = echoFixture();
    const { port } = await startApp([EchoGateway]);
    const res = await rawRequest(port, '/echo', upgradeHeaders({ Host: `127.0.0.1:${port}`, Origin: 'http://evil.test' }));
    expect(res.status).toBe(403);
    expect(res.body).toMatch(/Cross origin/);
    expect(constructed).toEqual([]);
  });

  it('accepts a same-host Origin and requests without Origin', async () => {
    const { EchoGateway } = echoFixture();
    const { url, port } = await startApp([EchoGateway]);
    const same = await connect(url('/echo'), undefined, { origin: `http://127.0.0.1:${port}` });
    same.send('a');
    expect((await nextMessage(same)).data).toBe('a');
    const none = await connect(url('/echo'));
    none.send('b');
    expect((await nextMessage(none)).data).toBe('b');
  });

  it('runs a sync @CheckOrigin on the instance that later serves the connection', async () => {
    const constructed: string[] = [];
    const disposed: string[] = [];
    const originsSeen: string[] = [];
    /** One per connection attempt that got an instance: disposed with it. */
    @scoped(Lifecycle.ContainerScoped)
    class HandshakeProbe {
      dispose(): void {
        disposed.push('probe');
      }
    }
    @Gateway('/origin-sync')
    class AllowListGateway {
      private checked = false;
      constructor(readonly probe: HandshakeProbe) {
        constructed.push('AllowListGateway');
      }
      @OnOpen() open(): void {
        originsSeen.push('opened');
      }
      @CheckOrigin() check(origin: string): boolean {
        originsSeen.push(origin);
        this.checked = true;
        return origin === 'http://allowed.test';
      }
      @OnMessage() message(): string {
        return this.checked ? 'same instance' : 'another instance';
      }
    }
    const { url, port } = await startApp([AllowListGateway]);
    const refused = await rawRequest(port, '/origin-sync', upgradeHeaders({ Origin: 'http://other.test' }));
    expect(refused.status).toBe(403);
    expect(originsSeen).toEqual(['http://other.test']); // and no @OnOpen
    await eventually(() => disposed.length === 1, 'the refused instance disposed');

    const ws = await connect(url('/origin-sync'), undefined, { origin: 'http://allowed.test' });
    ws.send('x');
    expect((await nextMessage(ws)).data).toBe('same instance');
    expect(constructed).toEqual(['AllowListGateway', 'AllowListGateway']);
    expect(originsSeen).toEqual(['http://other.test', 'http://allowed.test', 'opened']);
  });

  it('awaits an async @CheckOrigin', async () => {
    @Gateway('/origin-async')
    class AsyncOriginGateway {
      @CheckOrigin() async check(origin: string): Promise<boolean> {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return origin.endsWith('.trusted.test');
      }
      @OnMessage() message(): string {
        return 'ok';
      }
    }
    const { url, port } = await startApp([AsyncOriginGateway]);
    expect((await rawRequest(port, '/origin-async', upgradeHeaders({ Origin: 'http://evil.test' }))).status).toBe(403);
    const ws = await connect(url('/origin-async'), undefined, { origin: 'https://a.trusted.test' });
    ws.send('x');
    expect((await nextMessage(ws)).data).toBe('ok');
  });

  it('answers 500 when @CheckOrigin throws, logs it with the gateway name, and disposes the instance', async () => {
    const disposed: string[] = [];
    /** One per connection attempt that got an instance: disposed with it. */
    @scoped(Lifecycle.ContainerScoped)
    class HandshakeProbe {
      dispose(): void {
        disposed.push('probe');
      }
    }
    @Gateway('/origin-throws')
    class ThrowingOriginGateway {
      constructor(readonly probe: HandshakeProbe) {}
      @CheckOrigin() check(): boolean {
        throw new Error('origin check exploded');
      }
      @OnMessage() message(): void {}
    }
    const { port, logger } = await startApp([ThrowingOriginGateway]);
    const res = await rawRequest(port, '/origin-throws', upgradeHeaders({ Origin: 'http://x.test' }));
    expect(res.status).toBe(500);
    expect(logger.errors.join('\n')).toMatch(/ThrowingOriginGateway\.check \(@CheckOrigin\) failed: .*origin check exploded/);
    await eventually(() => disposed.length === 1, 'probe disposed');
  });
});

describe('subprotocols', () => {
  it('selects the protocol @Subprotocol returns and exposes it as conn.selectedSubprotocol', async () => {
    const { SubprotocolGateway, offeredSeen } = subprotocolFixture();
    const { url } = await startApp([SubprotocolGateway]);
    const ws = await connect(url('/proto'), ['v1', 'v2']);
    expect(ws.protocol).toBe('v2');
    ws.send('x');
    expect((await nextMessage(ws)).data).toBe('selected v2');
    expect(offeredSeen).toEqual([['v1', 'v2']]);
  });

  it('selects none without aborting when @Subprotocol returns null', async () => {
    const { SubprotocolGateway } = subprotocolFixture();
    const { port } = await startApp([SubprotocolGateway]);
    const res = await rawRequest(port, '/proto', upgradeHeaders({ 'Sec-WebSocket-Protocol': 'v1, v3' }));
    expect(res.status).toBe(101);
    expect(res.headers['sec-websocket-protocol']).toBeUndefined();
  });

  it('calls @Subprotocol with [] when none were offered', async () => {
    const { SubprotocolGateway, offeredSeen } = subprotocolFixture();
    const { url } = await startApp([SubprotocolGateway]);
    const ws = await connect(url('/proto'));
    ws.send('x');
    expect((await nextMessage(ws)).data).toBe('selected undefined');
    expect(offeredSeen).toEqual([[]]);
  });

  it('answers 500 when @Subprotocol returns a protocol that was not offered', async () => {
    const { SubprotocolGateway } = subprotocolFixture();
    const { port, logger } = await startApp([SubprotocolGateway]);
    const res = await rawRequest(port, '/proto', upgradeHeaders({ 'Sec-WebSocket-Protocol': 'bogus' }));
    expect(res.status).toBe(500);
    expect(logger.errors.join('\n')).toMatch(/SubprotocolGateway\.select \(@Subprotocol\) returned "not-offered", which the client did not offer/);
  });

  it('awaits an async @Subprotocol', async () => {
    @Gateway('/proto-async')
    class AsyncSubprotocolGateway {
      @Subprotocol() async select(offered: string[]): Promise<string | undefined> {
        await new Promise((resolve) => setTimeout(resolve, 10));
        return offered[offered.length - 1];
      }
      @OnMessage() message(): void {}
    }
    const { url } = await startApp([AsyncSubprotocolGateway]);
    const ws = await connect(url('/proto-async'), ['a', 'b']);
    expect(ws.protocol).toBe('b');
  });

  it('selects none when the gateway has no @Subprotocol (ws alone would pick the first)', async () => {
    const { EchoGateway } = echoFixture();
    const { port } = await startApp([EchoGateway]);
    const res = await rawRequest(port, '/echo', upgradeHeaders({ 'Sec-WebSocket-Protocol': 'v1, v2' }));
    expect(res.status).toBe(101);
    expect(res.headers['sec-websocket-protocol']).toBeUndefined();
  });
});

describe('path parameters and construction', () => {
  it('passes URL-decoded :name segments to @OnOpen and conn.params', async () => {
    const { url } = await startApp([reportsOpenArgsGateway()]);
    const ws = await connect(url('/params/a%20b/2'));
    ws.send('?');
    expect(JSON.parse((await nextMessage(ws)).data as string)).toEqual({ args: ['a b', '2'], params: { a: 'a b', b: '2' } });
  });

  it('passes RegExp capture groups to @OnOpen, params by index', async () => {
    const ReportsOpenArgsGateway = reportsOpenArgsGateway();
    /** Same hooks (inherited), RegExp path. */
    @Gateway(/^\/regex\/(\d+)$/)
    class RegexGateway extends ReportsOpenArgsGateway {}
    const { url } = await startApp([ReportsOpenArgsGateway, RegexGateway]);
    const ws = await connect(url('/regex/77'));
    ws.send('?');
    expect(JSON.parse((await nextMessage(ws)).data as string)).toEqual({ args: ['77'], params: { 0: '77' } });
  });

  it('answers 500 when the gateway constructor throws, naming the gateway in the log', async () => {
    @Gateway('/broken-constructor')
    class BrokenConstructorGateway {
      constructor() {
        throw new Error('constructor exploded');
      }
      @OnMessage() message(): void {}
    }
    const { port, logger } = await startApp([BrokenConstructorGateway]);
    expect((await rawRequest(port, '/broken-constructor', upgradeHeaders())).status).toBe(500);
    expect(logger.errors.join('\n')).toMatch(/BrokenConstructorGateway: could not create the gateway instance/);
  });
});
