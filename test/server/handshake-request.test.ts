import { createServer, IncomingMessage } from 'node:http';
import { connect as tcpConnect, type AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CheckOrigin, Connection, createApp, Gateway, OnClose, OnMessage, OnOpen, Subprotocol, type HandshakeRequest } from '../../src';
import { snapshotRequest } from '../../src/server/handshake-request';
import { memoryLogger, startApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { onCleanup } from '../helpers/cleanup';
import { connect } from '../helpers/ws-client';

describe('conn.request', () => {
  it('has the method, url, HTTP version, headers, remote address and port, TLS flag and parsed query of the upgrade request', async () => {
    const seen: HandshakeRequest[] = [];
    @Gateway('/fields')
    class RequestRecordingGateway {
      constructor(private readonly conn: Connection) {}
      @OnOpen() open(): void {
        seen.push(this.conn.request);
      }
      @OnMessage() message(): void {}
    }
    const { url } = await startApp([RequestRecordingGateway]);
    const ws = await connect(url('/fields?token=a%20b&x=1&x=2'), undefined, { headers: { 'X-Custom': 'yes' } });
    await eventually(() => seen.length === 1, '@OnOpen');
    const [request] = seen;
    expect(request.method).toBe('GET');
    expect(request.url).toBe('/fields?token=a%20b&x=1&x=2');
    expect(request.httpVersion).toBe('1.1');
    expect(request.headers['x-custom']).toBe('yes');
    expect(request.headers.upgrade).toBe('websocket');
    expect(request.remoteAddress).toBe('127.0.0.1');
    expect(request.remotePort).toBe((ws as unknown as { _socket: { localPort: number } })._socket.localPort);
    expect(request.encrypted).toBe(false);
    expect(request.query.get('token')).toBe('a b');
    expect(request.query.getAll('x')).toEqual(['1', '2']);
    expect(request.query).toBe(request.query); // parsed once
  });

  it('has an empty query when the url has none', async () => {
    const queries: string[] = [];
    @Gateway('/no-query')
    class QueryRecordingGateway {
      constructor(private readonly conn: Connection) {}
      @OnOpen() open(): void {
        queries.push(`${this.conn.request.url} [${this.conn.request.query.toString()}]`);
      }
      @OnMessage() message(): void {}
    }
    const { url } = await startApp([QueryRecordingGateway]);
    await connect(url('/no-query'));
    await eventually(() => queries.length === 1, '@OnOpen');
    expect(queries).toEqual(['/no-query []']);
  });

  it('is readable from @CheckOrigin and @Subprotocol, before the 101, and still from @OnClose', async () => {
    const reads: string[] = [];
    @Gateway('/hooks')
    class HookReadingGateway {
      constructor(private readonly conn: Connection) {}
      @CheckOrigin() origin(origin: string): boolean {
        reads.push(`origin ${origin} ${this.conn.request.query.get('room')} ${this.conn.request.remoteAddress}`);
        return true;
      }
      @Subprotocol() protocol(offered: string[]): string {
        reads.push(`subprotocol ${this.conn.request.headers['sec-websocket-protocol']}`);
        return offered[0];
      }
      @OnMessage() message(): void {}
      @OnClose() close(): void {
        reads.push(`close ${this.conn.request.url}`);
      }
    }
    const { url } = await startApp([HookReadingGateway]);
    const ws = await connect(url('/hooks?room=blue'), ['chat.v1'], { origin: 'http://elsewhere.test' });
    expect(ws.protocol).toBe('chat.v1');
    ws.close();
    await eventually(() => reads.length === 3, '@OnClose');
    expect(reads).toEqual(['origin http://elsewhere.test blue 127.0.0.1', 'subprotocol chat.v1', 'close /hooks?room=blue']);
  });

  it('is a plain snapshot: no IncomingMessage, no socket', async () => {
    const seen: HandshakeRequest[] = [];
    @Gateway('/plain')
    class SnapshotGateway {
      constructor(private readonly conn: Connection) {}
      @OnOpen() open(): void {
        seen.push(this.conn.request);
      }
      @OnMessage() message(): void {}
    }
    const { url } = await startApp([SnapshotGateway]);
    await connect(url('/plain'));
    await eventually(() => seen.length === 1, '@OnOpen');
    expect(seen[0]).not.toBeInstanceOf(IncomingMessage);
    expect(seen[0]).not.toHaveProperty('socket');
    expect(Object.values(seen[0]).filter((v) => typeof v === 'object' && v !== null && v !== seen[0].headers)).toEqual([]);
  });

  it('lets the IncomingMessage be garbage-collected while the connection stays open', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    let opened = 0;
    @Gateway('/collected')
    class IdleGateway {
      constructor(readonly conn: Connection) {}
      @OnOpen() open(): void {
        opened++;
      }
      @OnMessage() message(): void {}
    }
    const app = createApp({ gateways: [IdleGateway], logger: memoryLogger() });
    const server = createServer();
    app.attach(server);
    let request: WeakRef<IncomingMessage> | undefined;
    // A second 'upgrade' listener, only to hold the request weakly.
    server.on('upgrade', (req: IncomingMessage) => (request = new WeakRef(req)));
    onCleanup(async () => {
      await app.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const ws = await connect(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/collected`);
    await eventually(() => opened === 1, '@OnOpen');
    for (let i = 0; i < 10 && request?.deref() !== undefined; i++) {
      await new Promise((resolve) => setImmediate(resolve)); // a WeakRef target lives until the end of the job
      gc();
    }
    expect(request).toBeDefined();
    expect(request!.deref()).toBeUndefined();
    expect(ws.readyState).toBe(ws.OPEN);
    expect(app.connectionCount).toBe(1);
  });
});

describe('the headers of the snapshot', () => {
  it('are what Node makes of the same request, repeated fields included (kept as one string until read)', async () => {
    const server = createServer();
    onCleanup(() => new Promise((resolve) => server.close(resolve)));
    const compared = new Promise<[unknown, unknown]>((resolve) =>
      server.on('request', (req, res) => {
        resolve([snapshotRequest(req).headers, req.headers]);
        res.end();
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const socket = tcpConnect(port, '127.0.0.1');
    onCleanup(() => socket.destroy());
    socket.write(
      [
        'GET /h HTTP/1.1', `Host: 127.0.0.1:${port}`, 'Host: second.example', 'Cookie: a=1', 'Cookie: b=2', 'X-Dup: one', 'x-dup: two',
        'Set-Cookie: s=1', 'Set-Cookie: t=2', 'User-Agent: first', 'User-Agent: second', 'Accept: */*', 'Empty:', '', '',
      ].join('\r\n'),
    );
    const [snapshot, node] = await compared;
    expect(snapshot).toEqual(node);
    expect(snapshot).toMatchObject({ cookie: 'a=1; b=2', 'x-dup': 'one, two', 'set-cookie': ['s=1', 't=2'], 'user-agent': 'first', empty: '' });
  });
});
