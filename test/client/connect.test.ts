/**
 * websocketConnect against a wsgate app (docs/behaviour.md#client): echo by readMessage, iteration and callback,
 * subprotocols, headers, close codes both ways, refused handshakes, ping, compression, 1009.
 */
import { once } from 'node:events';
import type WebSocket from 'ws';
import {
  CheckOrigin,
  Connection,
  Gateway,
  OnClose,
  OnMessage,
  OnPing,
  Subprotocol,
  WebSocketClosedError,
  WebSocketHandshakeError,
  websocketConnect,
} from '../../src';
import { kSocket } from '../../src/constants';
import { startApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { connectClient, rejectionOf } from '../helpers/client';

interface Ended {
  code: number | undefined;
  reason: string | undefined;
}
/**
 * The README's echo gateway, plus commands that make the server act: close, selected protocol,
 * headers, big (a fresh class for each call), and what it observed: its server-side connections,
 * the code and reason each @OnClose saw, the ping payloads, and how many messages it handled.
 */
function commandEchoFixture() {
  const observed = { serverConns: [] as Connection[], ended: [] as Ended[], pings: [] as string[], handled: 0 };
  @Gateway('/websocket')
  class CommandEchoGateway {
    constructor(private readonly conn: Connection) {
      observed.serverConns.push(conn);
    }
    @Subprotocol() select(offered: string[]): string | undefined {
      return offered.find((p) => p === 'chat.v2');
    }
    @OnMessage() onMessage(m: string | Buffer): unknown {
      observed.handled++;
      if (Buffer.isBuffer(m)) return m;
      const [command, ...args] = m.split(':');
      switch (command) {
        case 'close':
          return void this.conn.close(Number(args[0]), args[1]);
        case 'header':
          return this.conn.request.headers[args[0]] ?? '(none)';
        case 'protocol':
          return this.conn.selectedSubprotocol ?? '(none)';
        case 'big':
          return Buffer.alloc(Number(args[0]), 7);
        default:
          return `You said: ${m}`;
      }
    }
    @OnPing() onPing(data: Buffer): void {
      observed.pings.push(data.toString());
    }
    @OnClose() onClose(): void {
      observed.ended.push({ code: this.conn.closeCode, reason: this.conn.closeReason });
    }
  }
  return { CommandEchoGateway, observed };
}

describe('echo', () => {
  test('writeMessage / readMessage: the docs/behaviour.md#client example, text, binary and JSON', async () => {
    const { CommandEchoGateway } = commandEchoFixture();
    const server = await startApp([CommandEchoGateway], { compression: {} });
    const conn = await connectClient(server.url('/websocket'), { connectTimeout: 5000 });
    await conn.writeMessage('Hello, world');
    expect(await conn.readMessage()).toBe('You said: Hello, world');

    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    await conn.writeMessage(bytes);
    expect(await conn.readMessage()).toEqual(bytes);
    await conn.writeMessage({ a: [1, 'two'] });
    expect(await conn.readMessage()).toBe('You said: {"a":[1,"two"]}');
    await conn.writeMessage('bin', { binary: true });
    expect(await conn.readMessage()).toEqual(Buffer.from('bin'));
    expect(conn.url).toBe(server.url('/websocket'));
  });

  test('messages that arrive before anyone reads are kept in order; concurrent reads get successive messages', async () => {
    const { CommandEchoGateway, observed } = commandEchoFixture();
    const server = await startApp([CommandEchoGateway], { compression: {} });
    const conn = await connectClient(server.url('/websocket'));
    for (let i = 0; i < 20; i++) void conn.writeMessage(String(i));
    await conn.writeMessage('last');
    await eventually(() => observed.handled === 21 && observed.serverConns[0].bufferedAmount === 0, 'the server to answer all 21');
    const first = await Promise.all([conn.readMessage(), conn.readMessage(), conn.readMessage()]);
    expect(first).toEqual(['You said: 0', 'You said: 1', 'You said: 2']);
    const rest: unknown[] = [];
    for (let i = 3; i < 21; i++) rest.push(await conn.readMessage());
    expect(rest).toEqual([...Array.from({ length: 17 }, (_, i) => `You said: ${i + 3}`), 'You said: last']);
  });

  test('async iteration reads the same stream as readMessage and ends at the close', async () => {
    const { CommandEchoGateway } = commandEchoFixture();
    const server = await startApp([CommandEchoGateway], { compression: {} });
    const conn = await connectClient(server.url('/websocket'));
    await conn.writeMessage('a');
    expect(await conn.readMessage()).toBe('You said: a');
    await conn.writeMessage('b');
    await conn.writeMessage('c');
    await conn.writeMessage('close:4000:done');
    const seen: unknown[] = [];
    for await (const message of conn) seen.push(message);
    expect(seen).toEqual(['You said: b', 'You said: c']);
    expect(conn.closeCode).toBe(4000);
    expect(await conn.readMessage()).toBeNull();
  });

  test('breaking out of iteration leaves the connection open for readMessage', async () => {
    const { CommandEchoGateway } = commandEchoFixture();
    const server = await startApp([CommandEchoGateway], { compression: {} });
    const conn = await connectClient(server.url('/websocket'));
    await conn.writeMessage('one');
    await conn.writeMessage('two');
    for await (const message of conn) {
      expect(message).toBe('You said: one');
      break;
    }
    expect(conn.isOpen).toBe(true);
    expect(await conn.readMessage()).toBe('You said: two');
  });

  test('onMessage: messages in order, then null once; readMessage and iteration are not available', async () => {
    const { CommandEchoGateway } = commandEchoFixture();
    const server = await startApp([CommandEchoGateway], { compression: {} });
    const got: unknown[] = [];
    let closed: () => void = () => undefined;
    const sawNull = new Promise<void>((resolve) => (closed = resolve));
    const conn = await connectClient(server.url('/websocket'), {
      onMessage: (m) => {
        got.push(m);
        if (m === null) closed();
      },
    });
    expect(() => conn.readMessage()).toThrow(/onMessage/);
    await expect(conn[Symbol.asyncIterator]().next()).rejects.toThrow(/onMessage/);
    await conn.writeMessage('x');
    await conn.writeMessage('y');
    await conn.writeMessage('close:1000:bye');
    await sawNull;
    expect(got).toEqual(['You said: x', 'You said: y', null]);
  });
});

describe('handshake', () => {
  test('a subprotocol the server selects is visible on both ends', async () => {
    const { CommandEchoGateway } = commandEchoFixture();
    const server = await startApp([CommandEchoGateway], { compression: {} });
    const conn = await connectClient(server.url('/websocket'), { subprotocols: ['chat.v1', 'chat.v2'] });
    expect(conn.selectedSubprotocol).toBe('chat.v2');
    await conn.writeMessage('protocol');
    expect(await conn.readMessage()).toBe('chat.v2');
  });

  test('a 101 that selects none of the offered subprotocols is accepted with selectedSubprotocol undefined', async () => {
    const { CommandEchoGateway } = commandEchoFixture();
    const server = await startApp([CommandEchoGateway], { compression: {} });
    const conn = await connectClient(server.url('/websocket'), { subprotocols: ['chat.v1'] });
    expect(conn.selectedSubprotocol).toBeUndefined();
    await conn.writeMessage('protocol');
    expect(await conn.readMessage()).toBe('(none)');
  });

  test('custom headers reach the server, from options.headers and from { url, headers } (which wins)', async () => {
    const { CommandEchoGateway } = commandEchoFixture();
    const server = await startApp([CommandEchoGateway], { compression: {} });
    const conn = await connectClient(
      { url: server.url('/websocket'), headers: { 'X-Token': 'from-request', Cookie: 'a=1' } },
      { headers: { 'X-Token': 'from-options', 'X-Other': 'options' } },
    );
    const ask = async (name: string): Promise<unknown> => {
      await conn.writeMessage(`header:${name}`);
      return conn.readMessage();
    };
    expect(await ask('x-token')).toBe('from-request');
    expect(await ask('x-other')).toBe('options');
    expect(await ask('cookie')).toBe('a=1');
    expect(await ask('origin')).toBe('(none)');
  });

  test('a Sec-WebSocket-Protocol header given in headers is the offer when subprotocols is not', async () => {
    const { CommandEchoGateway } = commandEchoFixture();
    const server = await startApp([CommandEchoGateway], { compression: {} });
    const conn = await connectClient({ url: server.url('/websocket'), headers: { 'sec-websocket-protocol': 'chat.v2, chat.v3' } });
    expect(conn.selectedSubprotocol).toBe('chat.v2');
  });

  test('a foreign Origin gets WebSocketHandshakeError with status 403 and the URL in the message', async () => {
    @Gateway('/strict')
    class TrustedOriginOnlyGateway {
      @CheckOrigin() check(origin: string): boolean {
        return origin === 'http://trusted.test';
      }
      @OnMessage() onMessage(m: string): string {
        return m;
      }
    }
    const server = await startApp([TrustedOriginOnlyGateway], { compression: {} });
    const url = server.url('/strict');
    const err = await rejectionOf(websocketConnect({ url, headers: { Origin: 'http://evil.test' } }));
    expect(err).toBeInstanceOf(WebSocketHandshakeError);
    expect((err as WebSocketHandshakeError).status).toBe(403);
    expect(err.message).toContain(url);
    expect(err.message).toMatch(/403 Forbidden instead of 101/);
    const ok = await connectClient({ url, headers: { Origin: 'http://trusted.test' } });
    await ok.writeMessage('in');
    expect(await ok.readMessage()).toBe('in');
  });

  test('an unknown path gets WebSocketHandshakeError with status 404', async () => {
    const { CommandEchoGateway } = commandEchoFixture();
    const server = await startApp([CommandEchoGateway], { compression: {} });
    const err = await rejectionOf(websocketConnect(server.url('/nowhere')));
    expect(err).toBeInstanceOf(WebSocketHandshakeError);
    expect((err as WebSocketHandshakeError).status).toBe(404);
    expect(err.message).toContain(server.url('/nowhere'));
  });

  test('compression is off unless asked; { compression: {} } negotiates permessage-deflate', async () => {
    const { CommandEchoGateway } = commandEchoFixture();
    const server = await startApp([CommandEchoGateway], { compression: {} });
    const plain = await connectClient(server.url('/websocket'));
    expect((plain[kSocket] as WebSocket).extensions).toBe('');
    const deflated = await connectClient(server.url('/websocket'), { compression: {} });
    expect((deflated[kSocket] as WebSocket).extensions).toContain('permessage-deflate');
    const big = 'wsgate '.repeat(10000);
    await deflated.writeMessage(big);
    expect(await deflated.readMessage()).toBe(`You said: ${big}`);
  });
});

describe('close', () => {
  test('client close(4001, reason): the server sees code and reason, close() resolves, writes throw', async () => {
    const { CommandEchoGateway, observed } = commandEchoFixture();
    const server = await startApp([CommandEchoGateway], { compression: {} });
    const conn = await connectClient(server.url('/websocket'));
    await conn.close(4001, 'client bye');
    await eventually(() => observed.ended.length === 1, 'the server @OnClose');
    expect(observed.ended[0]).toEqual({ code: 4001, reason: 'client bye' });
    expect(conn.closeCode).toBe(4001); // ws echoes the peer's code
    expect(() => conn.writeMessage('late')).toThrow(WebSocketClosedError);
    expect(() => conn.ping()).toThrow(WebSocketClosedError);
    expect(await conn.readMessage()).toBeNull();
    await expect(conn.close()).resolves.toBeUndefined(); // idempotent
  });

  test('server close(4002, reason): closeCode/closeReason set, readMessage null on this and every later call', async () => {
    const { CommandEchoGateway } = commandEchoFixture();
    const server = await startApp([CommandEchoGateway], { compression: {} });
    const conn = await connectClient(server.url('/websocket'));
    const pending = conn.readMessage();
    await conn.writeMessage('close:4002:server bye');
    expect(await pending).toBeNull();
    expect(await conn.readMessage()).toBeNull();
    expect(await conn.readMessage()).toBeNull();
    expect(conn.closeCode).toBe(4002);
    expect(conn.closeReason).toBe('server bye');
    expect(conn.isOpen).toBe(false);
    expect(() => conn.writeMessage('late')).toThrow(WebSocketClosedError);
  });

  test('app.close() reaches the client as 1001 Going Away', async () => {
    const { CommandEchoGateway } = commandEchoFixture();
    const server = await startApp([CommandEchoGateway], { compression: {} });
    const conn = await connectClient(server.url('/websocket'));
    const closing = server.app.close();
    expect(await conn.readMessage()).toBeNull();
    await closing;
    expect([conn.closeCode, conn.closeReason]).toEqual([1001, 'Going Away']);
  });

  test('close() with an invalid code throws RangeError and leaves the connection open', async () => {
    const { CommandEchoGateway } = commandEchoFixture();
    const server = await startApp([CommandEchoGateway], { compression: {} });
    const conn = await connectClient(server.url('/websocket'));
    expect(() => conn.close(1005)).toThrow(RangeError);
    expect(() => conn.close(1000, 'x'.repeat(124))).toThrow(RangeError);
    await conn.writeMessage('still');
    expect(await conn.readMessage()).toBe('You said: still');
  });

  test('maxMessageSize 1 MiB: a 2 MiB message closes the client with 1009, seen by the server', async () => {
    const { CommandEchoGateway, observed } = commandEchoFixture();
    const server = await startApp([CommandEchoGateway], { compression: {} });
    const conn = await connectClient(server.url('/websocket'), { maxMessageSize: 1024 * 1024 });
    await conn.writeMessage(`big:${1024 * 1024}`); // exactly the limit passes
    expect(((await conn.readMessage()) as Buffer).length).toBe(1024 * 1024);
    await conn.writeMessage(`big:${2 * 1024 * 1024}`);
    expect(await conn.readMessage()).toBeNull();
    await eventually(() => observed.ended.length === 1, 'the server @OnClose');
    expect(observed.ended[0].code).toBe(1009);
  });
});

describe('ping', () => {
  test('ping(data) reaches the server; more than 125 bytes is a RangeError', async () => {
    const { CommandEchoGateway, observed } = commandEchoFixture();
    const server = await startApp([CommandEchoGateway], { compression: {} });
    const conn = await connectClient(server.url('/websocket'));
    conn.ping('are you there');
    const ws = conn[kSocket] as WebSocket;
    await once(ws, 'pong');
    expect(observed.pings).toEqual(['are you there']);
    expect(() => conn.ping(Buffer.alloc(126))).toThrow(RangeError);
  });

  test('pingInterval sends pings that the server sees', async () => {
    const { CommandEchoGateway, observed } = commandEchoFixture();
    const server = await startApp([CommandEchoGateway], { compression: {} });
    await connectClient(server.url('/websocket'), { pingInterval: 20 });
    await eventually(() => observed.pings.length >= 2, 'two pings');
    expect(observed.pings.slice(0, 2)).toEqual(['', '']);
  });
});
