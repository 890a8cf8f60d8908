/**
 * Sharing one HTTP server: attach() takes only the paths its gateways serve and leaves the others
 * to the server's other 'upgrade' listeners; app.handleUpgrade() is the noServer way; and
 * handshakeTimeout protects attached servers, the echo sample's included.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { createApp, Gateway, OnMessage, type App } from '../../src';
import { startEcho } from '../../samples/echo';
import { memoryLogger } from '../helpers/app';
import { onCleanup } from '../helpers/cleanup';
import { rawRequest, upgradeHeaders } from '../helpers/http';
import { trickle } from '../helpers/slowloris';
import { connect, nextMessage } from '../helpers/ws-client';

/** A gateway (fresh for each call) on /<name> that answers each message prefixed with "<name>: ". */
function prefixingEchoGateway(name: 'a' | 'b') {
  @Gateway(`/${name}`)
  class PrefixingEchoGateway {
    @OnMessage() echo(m: string): string {
      return `${name}: ${m}`;
    }
  }
  return PrefixingEchoGateway;
}

function makeApp(gateway: new () => object, options: { handshakeTimeout?: number } = {}): App {
  const app = createApp({ gateways: [gateway], logger: memoryLogger(), ...options });
  onCleanup(() => app.close());
  return app;
}

async function listen(server: Server): Promise<number> {
  onCleanup(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

async function echoes(url: string, text: string): Promise<string> {
  const ws = await connect(url);
  ws.send(text);
  return String((await nextMessage(ws)).data);
}

describe('attach() on a shared server', () => {
  it('serves two apps on different paths, and the last of them answers 404 for a path neither serves', async () => {
    const server = createServer();
    makeApp(prefixingEchoGateway('a')).attach(server);
    makeApp(prefixingEchoGateway('b')).attach(server);
    const port = await listen(server);
    expect(await echoes(`ws://127.0.0.1:${port}/a`, 'hi')).toBe('a: hi');
    expect(await echoes(`ws://127.0.0.1:${port}/b`, 'hi')).toBe('b: hi');
    const unknown = await rawRequest(port, '/c', upgradeHeaders());
    expect(unknown.status).toBe(404);
    expect(unknown.body).toBe('Not Found\n'); // one answer, not two
  });

  it.each(['before', 'after'] as const)('leaves the path of a ws WebSocketServer({ noServer }) registered %s it alone', async (order) => {
    const server = createServer();
    const wss = new WebSocketServer({ noServer: true });
    onCleanup(() => wss.close());
    wss.on('connection', (ws) => ws.on('message', (data) => ws.send(`raw: ${String(data)}`)));
    const raw = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
      if (req.url === '/raw') wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    };
    const app = makeApp(prefixingEchoGateway('a'));
    if (order === 'before') server.on('upgrade', raw);
    app.attach(server);
    if (order === 'after') server.on('upgrade', raw);
    const port = await listen(server);
    expect(await echoes(`ws://127.0.0.1:${port}/raw`, 'hi')).toBe('raw: hi');
    expect(await echoes(`ws://127.0.0.1:${port}/a`, 'hi')).toBe('a: hi');
  });
});

describe('app.handleUpgrade() (noServer)', () => {
  it('returns false and leaves the socket untouched for a path no gateway serves, true and answers for its own', async () => {
    const app = makeApp(prefixingEchoGateway('a'));
    const untouched: boolean[] = [];
    const server = createServer();
    server.on('upgrade', (req: IncomingMessage, socket: Duplex & { bytesWritten?: number }, head: Buffer) => {
      if (app.handleUpgrade(req, socket, head)) return;
      untouched.push(!socket.destroyed && socket.writable && socket.bytesWritten === 0 && socket.listenerCount('error') === 0);
      socket.end('HTTP/1.1 418 I\'m a teapot\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
    const port = await listen(server);
    expect((await rawRequest(port, '/elsewhere', upgradeHeaders())).status).toBe(418);
    expect(untouched).toEqual([true]);
    expect(await echoes(`ws://127.0.0.1:${port}/a`, 'hi')).toBe('a: hi');
  });
});

describe('handshakeTimeout on attached servers', () => {
  it('cuts a slowloris upgrade to a server given to attach() before it listens', async () => {
    const handshakeTimeout = 300;
    const server = createServer(); // Node's defaults: 60 s for headers, checked every 30 s
    makeApp(prefixingEchoGateway('a'), { handshakeTimeout }).attach(server);
    const port = await listen(server);
    const { received, elapsedMs } = await trickle(port, 25, 400, '/a'); // up to 10 s
    expect(received === '' || received.startsWith('HTTP/1.1 408')).toBe(true);
    expect(elapsedMs).toBeGreaterThanOrEqual(handshakeTimeout);
  });

  it('cuts a slowloris upgrade to the echo sample (what `npm start` runs)', async () => {
    const echo = await startEcho(0, '127.0.0.1', { handshakeTimeout: 300 });
    onCleanup(() => echo.stop());
    const { received } = await trickle(echo.address.port, 25, 400, '/websocket');
    expect(received === '' || received.startsWith('HTTP/1.1 408')).toBe(true);
  });
});
