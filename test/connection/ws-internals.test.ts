/**
 * Guards src/connection/ws-internals.ts, the one module that reads ws's private fields: if a ws
 * upgrade renames or retypes one of them, this fails with the field's name instead of wsgate
 * silently losing corking, the fan-out's fast path or the 64-bit length check.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import { describeInternals, directWriteSocket, netSocketOf, unflushedBytes, WS_CHECKED_RANGE } from '../../src/connection/ws-internals';
import { onCleanup } from '../helpers/cleanup';

async function openPair(perMessageDeflate = false): Promise<{ server: WebSocket; client: WebSocket }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate });
  onCleanup(() => new Promise((resolve) => wss.close(resolve)));
  await once(wss, 'listening');
  const { port } = wss.address() as { port: number };
  const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate });
  onCleanup(() => client.terminate());
  const [[server]] = await Promise.all([once(wss, 'connection') as Promise<[WebSocket]>, once(client, 'open')]);
  onCleanup(() => server.terminate());
  return { server, client };
}

describe('ws internals', () => {
  it('ws still has every private field wsgate reads, with the type it expects', async () => {
    const { server } = await openPair();
    expect(describeInternals(server)).toEqual({
      _socket: 'function',
      '_sender._state': 'number',
      '_sender._bufferedBytes': 'number',
      _extensions: 'object',
      '_receiver._buffers': 'array',
      '_receiver._bufferedBytes': 'number',
      'Receiver.prototype.getPayloadLength64': 'function',
    });
  });

  it('package.json pins ws to the range this module was checked against, and the installed ws is in it', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies.ws).toBe(WS_CHECKED_RANGE);
    const installed = (JSON.parse(readFileSync(require.resolve('ws/package.json'), 'utf8')) as { version: string }).version;
    const [, minor] = /^~8\.(\d+)\./.exec(WS_CHECKED_RANGE)!;
    expect(installed).toMatch(new RegExp(`^8\\.${minor}\\.`));
  });

  it('netSocketOf gives the TCP socket the peer is connected to', async () => {
    const { server, client } = await openPair();
    const socket = netSocketOf(server)!;
    expect(socket.remotePort).toBe(netSocketOf(client)!.localPort);
  });

  it('directWriteSocket: the socket while ws would write at once, none with permessage-deflate', async () => {
    const plain = await openPair();
    const socket = directWriteSocket(plain.server)!;
    expect(socket).toBe(netSocketOf(plain.server));
    expect(unflushedBytes(plain.server, socket)).toBe(0);
    const deflate = await openPair(true);
    expect(directWriteSocket(deflate.server)).toBeUndefined();
  });

  it('unflushedBytes counts what the socket has not flushed yet', async () => {
    const { server, client } = await openPair();
    client.pause(); // the client stops reading, so the server's writes pile up
    const socket = directWriteSocket(server)!;
    const chunk = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < 16 && socket.writableLength === 0; i++) server.send(chunk);
    expect(socket.writableLength).toBeGreaterThan(0);
    expect(unflushedBytes(server, socket)).toBeGreaterThanOrEqual(socket.writableLength);
  });
});
