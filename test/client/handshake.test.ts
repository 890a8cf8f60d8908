/**
 * websocketConnect against hand-made servers (plain `net` / `http` on 127.0.0.1:0): every way a
 * handshake can fail, a server that vanishes mid-message, and servers that ignore pings or close frames.
 */
import dns from 'node:dns';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type WebSocket from 'ws';
import { TimeoutError, WebSocketConnectError, WebSocketHandshakeError, websocketConnect } from '../../src';
import { kSocket } from '../../src/constants';
import { eventually } from '../helpers/eventually';
import { answer101, connectClient, readRequestHead, rejectionOf, startHttpServer, startTcpServer } from '../helpers/client';
import { frame, Opcode, parseFrames, type Frame } from '../helpers/frames';

/** A server frame (unmasked). */
const serverFrame = (opcode: number, payload: Buffer | string = Buffer.alloc(0)): Buffer => frame(opcode, payload, { mask: false });

/** A TCP server that completes the upgrade (with `extra` 101 headers) and then runs `then`. */
function upgradingServer(then: (socket: import('node:net').Socket, headers: Record<string, string>) => void, extra: Record<string, string> = {}) {
  return startTcpServer((socket) => {
    void readRequestHead(socket).then((headers) => {
      answer101(socket, headers, extra);
      then(socket, headers);
    });
  });
}

describe('handshake failures', () => {
  test('a server that accepts TCP and never answers: TimeoutError within connectTimeout, socket destroyed', async () => {
    const server = await startTcpServer((socket) => socket.resume()); // reads (so it sees the client's FIN), never answers
    const url = `ws://127.0.0.1:${server.port}/silent`;
    const err = await rejectionOf(websocketConnect(url, { connectTimeout: 300 }));
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.message).toContain(url);
    expect(err.message).toContain('300 ms');
    expect(server.sockets).toHaveLength(1);
    const socket = server.sockets[0];
    if (!socket.destroyed) await once(socket, 'close'); // the client end was destroyed
    expect(socket.destroyed).toBe(true);
  });

  test('a 200 HTML page: WebSocketHandshakeError with status 200 and the URL', async () => {
    const server = await startHttpServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<!doctype html><title>hello</title>');
    });
    const url = `ws://127.0.0.1:${server.port}/page`;
    const err = await rejectionOf(websocketConnect(url));
    expect(err).toBeInstanceOf(WebSocketHandshakeError);
    expect((err as WebSocketHandshakeError).status).toBe(200);
    expect(err.message).toBe(`websocketConnect ${url}: the server answered 200 OK instead of 101 Switching Protocols`);
  });

  test('a redirect is not followed: status 302, Location named, the target never asked', async () => {
    const target = await startHttpServer((_req, res) => res.end('target'));
    const server = await startHttpServer((_req, res) => {
      res.writeHead(302, { Location: `ws://127.0.0.1:${target.port}/elsewhere` });
      res.end();
    });
    const err = await rejectionOf(websocketConnect(`ws://127.0.0.1:${server.port}/moved`));
    expect(err).toBeInstanceOf(WebSocketHandshakeError);
    expect((err as WebSocketHandshakeError).status).toBe(302);
    expect(err.message).toContain(`redirect to ws://127.0.0.1:${target.port}/elsewhere not followed`);
    expect(target.requests).toHaveLength(0);
  });

  test('a refused TCP connection: WebSocketConnectError with code ECONNREFUSED (not a handshake error)', async () => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const { port } = probe.address() as import('node:net').AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const err = await rejectionOf(websocketConnect(`ws://127.0.0.1:${port}/`));
    expect(err).toBeInstanceOf(WebSocketConnectError);
    expect(err).not.toBeInstanceOf(WebSocketHandshakeError);
    expect((err as WebSocketConnectError).code).toBe('ECONNREFUSED');
    expect(err.message).toBe(`websocketConnect ws://127.0.0.1:${port}/: connection refused (ECONNREFUSED)`);
    expect((err as Error & { cause: unknown }).cause).toMatchObject({ code: 'ECONNREFUSED' });
  });

  test('a DNS failure: WebSocketConnectError with code ENOTFOUND (lookup stubbed: no network)', async () => {
    const lookup = jest.spyOn(dns, 'lookup').mockImplementation(((host: string, _opts: unknown, cb: (err: Error) => void) => {
      process.nextTick(cb, Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }));
    }) as unknown as typeof dns.lookup);
    try {
      const err = await rejectionOf(websocketConnect('ws://no-such-host.invalid/ws'));
      expect(lookup).toHaveBeenCalled();
      expect(err).toBeInstanceOf(WebSocketConnectError);
      expect((err as WebSocketConnectError).code).toBe('ENOTFOUND');
      expect(err.message).toBe('websocketConnect ws://no-such-host.invalid/ws: host not found (DNS) (ENOTFOUND)');
    } finally {
      lookup.mockRestore();
    }
  });

  test('an answer that is not HTTP: WebSocketHandshakeError with status 0', async () => {
    const server = await startTcpServer((socket) => {
      void readRequestHead(socket).then(() => socket.end('SSH-2.0-OpenSSH_9.2\r\n\r\n'));
    });
    const err = await rejectionOf(websocketConnect(`ws://127.0.0.1:${server.port}/`));
    expect(err).toBeInstanceOf(WebSocketHandshakeError);
    expect((err as WebSocketHandshakeError).status).toBe(0);
  });

  test('a 101 with a wrong Sec-WebSocket-Accept: WebSocketHandshakeError with status 101', async () => {
    const server = await startTcpServer((socket) => {
      void readRequestHead(socket).then(() =>
        socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: bm9wZQ==\r\n\r\n'),
      );
    });
    const err = await rejectionOf(websocketConnect(`ws://127.0.0.1:${server.port}/`));
    expect(err).toBeInstanceOf(WebSocketHandshakeError);
    expect((err as WebSocketHandshakeError).status).toBe(101);
    expect(err.message).toMatch(/Sec-WebSocket-Accept/);
  });

  test('a 101 selecting a subprotocol that was not offered: WebSocketHandshakeError, socket closed', async () => {
    const server = await upgradingServer(() => undefined, { 'Sec-WebSocket-Protocol': 'evil' });
    const url = `ws://127.0.0.1:${server.port}/`;
    const err = await rejectionOf(websocketConnect(url, { subprotocols: ['good', 'better'] }));
    expect(err).toBeInstanceOf(WebSocketHandshakeError);
    expect((err as WebSocketHandshakeError).status).toBe(101);
    expect(err.message).toBe(`websocketConnect ${url}: the server selected subprotocol "evil", but offered good, better`);
    const socket = server.sockets[0];
    if (!socket.destroyed) await once(socket, 'close');

    const none = await rejectionOf(websocketConnect(url));
    expect(none.message).toContain('"evil", but none was offered');
  });

  test('the offer is sent as one Sec-WebSocket-Protocol header; a 101 without one is accepted', async () => {
    let offered = '';
    const server = await upgradingServer((_socket, headers) => (offered = headers['sec-websocket-protocol']));
    const conn = await connectClient(`ws://127.0.0.1:${server.port}/`, { subprotocols: ['a', 'b'] });
    expect(offered).toBe('a, b');
    expect(conn.selectedSubprotocol).toBeUndefined();
    expect(conn.isOpen).toBe(true);
  });
});

describe('a server that goes away', () => {
  test('frames sent in the same TCP chunk as the 101 are kept for readMessage', async () => {
    const server = await startTcpServer((socket) => {
      void readRequestHead(socket).then((headers) => {
        answer101(socket, headers);
        socket.write(Buffer.concat([serverFrame(Opcode.text, 'first'), serverFrame(Opcode.binary, Buffer.from([1, 2]))]));
      });
    });
    const conn = await connectClient(`ws://127.0.0.1:${server.port}/`);
    expect(await conn.readMessage()).toBe('first');
    expect(await conn.readMessage()).toEqual(Buffer.from([1, 2]));
  });

  test('TCP dropped in the middle of a message: readMessage null, closeCode and closeReason undefined', async () => {
    const server = await upgradingServer((socket) => {
      socket.write(serverFrame(Opcode.text, 'whole'));
      const partial = serverFrame(Opcode.text, 'x'.repeat(1000)).subarray(0, 20);
      socket.write(partial, () => setImmediate(() => socket.destroy()));
    });
    const conn = await connectClient(`ws://127.0.0.1:${server.port}/`);
    expect(await conn.readMessage()).toBe('whole');
    expect(await conn.readMessage()).toBeNull();
    expect(await conn.readMessage()).toBeNull();
    expect(conn.closeCode).toBeUndefined();
    expect(conn.closeReason).toBeUndefined();
    await expect(conn.close()).resolves.toBeUndefined();
  });

  test('a close frame without a code: closeCode undefined (ws 1005 not exposed)', async () => {
    const server = await upgradingServer((socket) => socket.write(serverFrame(Opcode.close)));
    const conn = await connectClient(`ws://127.0.0.1:${server.port}/`);
    expect(await conn.readMessage()).toBeNull();
    expect(conn.closeCode).toBeUndefined();
    expect(server.sockets).toHaveLength(1);
  });

  test('pingTimeout: a server that never answers pings gets close 1000 "ping timed out" and is cut off', async () => {
    const received: Buffer[] = [];
    const server = await upgradingServer((socket) => socket.on('data', (chunk: Buffer) => received.push(chunk)));
    const conn = await connectClient(`ws://127.0.0.1:${server.port}/`, { pingInterval: 30, pingTimeout: 60 });
    expect(await conn.readMessage()).toBeNull();
    expect(conn.closeCode).toBeUndefined();
    const frames = (): Frame[] => parseFrames(Buffer.concat(received), 'client').frames;
    await eventually(() => frames().some((f) => f.opcode === Opcode.close), 'the close frame at the server');
    expect(frames()[0].opcode).toBe(Opcode.ping);
    const close = frames().find((f) => f.opcode === Opcode.close);
    expect(close && [close.payload.readUInt16BE(0), close.payload.subarray(2).toString()]).toEqual([1000, 'ping timed out']);
  });

  test('closeTimeout: a server that never answers our close frame is cut off and close() resolves', async () => {
    const server = await upgradingServer(() => undefined);
    const conn = await connectClient(`ws://127.0.0.1:${server.port}/`, { closeTimeout: 100 });
    await conn.close(1000, 'bye');
    expect(conn.closeCode).toBeUndefined();
    expect((conn[kSocket] as WebSocket).readyState).toBe(3);
    await eventually(() => server.sockets[0].destroyed || server.sockets[0].readableEnded, 'the server end to see the cut');
  });
});
