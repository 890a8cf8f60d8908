/**
 * setNoDelay (tornado's set_nodelay) reaches the TCP socket itself, on both ends. Observed on the
 * real net.Socket of the connection (its setNoDelay is wrapped, not replaced), so no timing.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Connection, createApp, Gateway, OnMessage, OnOpen } from '../../src';
import { kSocket } from '../../src/constants';
import { netSocketOf } from '../../src/connection/ws-internals';
import { memoryLogger, startApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { onCleanup } from '../helpers/cleanup';
import { connectClient } from '../helpers/client';
import { connect, nextMessage } from '../helpers/ws-client';

/**
 * A gateway (fresh for each call) whose @OnOpen calls setNoDelay(:value === 'true'), and the
 * connections it opened.
 */
function noDelayFixture() {
  const opened: Connection[] = [];
  @Gateway('/nodelay/:value')
  class SetsNoDelayOnOpenGateway {
    constructor(private readonly conn: Connection) {}
    @OnOpen() open(value: string): void {
      opened.push(this.conn);
      this.conn.setNoDelay(value === 'true');
    }
    @OnMessage() onMessage(m: string): string {
      return m;
    }
  }
  return { SetsNoDelayOnOpenGateway, opened };
}

describe('setNoDelay', () => {
  it.each([false, true])('conn.setNoDelay(%s) sets TCP_NODELAY on the upgraded socket', async (value) => {
    const { SetsNoDelayOnOpenGateway, opened } = noDelayFixture();
    const app = createApp({ gateways: [SetsNoDelayOnOpenGateway], logger: memoryLogger() });
    onCleanup(() => app.close());
    const server = createServer();
    onCleanup(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });
    // Registered before the app's listener: sees the very socket ws will take over.
    const calls: unknown[][] = [];
    let upgraded: Duplex | undefined;
    server.on('upgrade', (_req, socket: Socket) => {
      upgraded = socket;
      const real = socket.setNoDelay.bind(socket);
      socket.setNoDelay = (...args: Parameters<Socket['setNoDelay']>) => {
        calls.push(args);
        return real(...args);
      };
    });
    app.attach(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;

    const ws = await connect(`ws://127.0.0.1:${port}/nodelay/${value}`);
    await eventually(() => opened.length === 1, '@OnOpen');
    expect(netSocketOf(opened[0][kSocket]!)).toBe(upgraded);
    // ws turns Nagle off when it takes the socket over; the gateway's call comes last.
    expect(calls.at(-1)).toEqual([value]);
    ws.send('works');
    expect((await nextMessage(ws)).data).toBe('works');
  });

  it('is a no-op once the connection has closed', async () => {
    const { SetsNoDelayOnOpenGateway, opened } = noDelayFixture();
    const { url } = await startApp([SetsNoDelayOnOpenGateway]);
    const ws = await connect(url('/nodelay/false'));
    await eventually(() => opened.length === 1, '@OnOpen');
    await opened[0].close();
    expect(() => opened[0].setNoDelay(true)).not.toThrow();
    ws.terminate();
  });

  it("ClientConnection.setNoDelay reaches the client's socket", async () => {
    const { SetsNoDelayOnOpenGateway } = noDelayFixture();
    const { url } = await startApp([SetsNoDelayOnOpenGateway]);
    const conn = await connectClient(url('/nodelay/true'));
    const socket = netSocketOf(conn[kSocket]!)!;
    const calls: unknown[][] = [];
    const real = socket.setNoDelay.bind(socket);
    socket.setNoDelay = (...args: Parameters<Socket['setNoDelay']>) => {
      calls.push(args);
      return real(...args);
    };
    conn.setNoDelay(false);
    conn.setNoDelay(true);
    expect(calls).toEqual([[false], [true]]);
  });
});
