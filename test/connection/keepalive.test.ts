/**
 * Keep-alive (issue 4): pingInterval / pingTimeout on both ends (tornado's websocket_ping_interval /
 * websocket_ping_timeout), @OnPing / @OnPong, automatic pongs, gateway overrides, timers cleared on close.
 */
import { performance } from 'node:perf_hooks';
import { Connection, Gateway, OnClose, OnMessage, OnPing, OnPong } from '../../src';
import { startApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { answer101, connectClient, readRequestHead, startTcpServer } from '../helpers/client';
import { closePayload, frame, Opcode, parseFrames, type Frame } from '../helpers/frames';
import { RawPeer } from '../helpers/raw-peer';

/** Bounds are checked with this much room for a loaded machine; the failures they catch are far beyond it. */
const SLACK_MS = 2000;
/** Long enough that only the heartbeat's own cut can end a silent connection within a test. */
const NO_CLOSE_TIMEOUT = 60_000;

/**
 * A gateway (fresh for each call) that echoes text, and what it saw: the payloads its @OnPing and
 * @OnPong got, and `heartbeat:<close code>` for each @OnClose.
 */
function heartbeatFixture() {
  const events = { closes: [] as string[], pings: [] as Buffer[], pongs: [] as Buffer[] };
  @Gateway('/heartbeat')
  class HeartbeatGateway {
    constructor(readonly conn: Connection) {}
    @OnMessage() onMessage(m: string): string {
      return m;
    }
    @OnPing() onPing(data: Buffer): void {
      events.pings.push(data);
    }
    @OnPong() onPong(data: Buffer): void {
      events.pongs.push(data);
    }
    @OnClose() onClose(): void {
      events.closes.push(`heartbeat:${String(this.conn.closeCode)}`);
    }
  }
  return { HeartbeatGateway, events };
}

const isPing = (f: Frame): boolean => f.opcode === Opcode.ping;
const pingCount = (peer: RawPeer): number => peer.frames.filter(isPing).length;

describe('server heartbeat', () => {
  it('closes a peer that never answers pings with 1000 "ping timed out" within pingInterval + pingTimeout, cuts it, and runs @OnClose once', async () => {
    const { HeartbeatGateway, events } = heartbeatFixture();
    const { port, app } = await startApp([HeartbeatGateway], { pingInterval: 50, pingTimeout: 100, closeTimeout: NO_CLOSE_TIMEOUT });
    const started = performance.now();
    const peer = await RawPeer.open(port, '/heartbeat');
    expect(await peer.closeFrame()).toEqual({ code: 1000, reason: 'ping timed out' });
    const elapsed = performance.now() - started;
    // The peer never answers the close frame: only the cut (not the 60 s closeTimeout) ends the socket.
    await peer.closed();
    expect(pingCount(peer)).toBeGreaterThanOrEqual(1);
    expect(elapsed).toBeGreaterThanOrEqual(150 - 2);
    expect(elapsed).toBeLessThan(150 + SLACK_MS);
    await eventually(() => app.connectionCount === 0, 'the connection to end');
    expect(events.closes).toEqual(['heartbeat:undefined']);
  });

  it('keeps a peer that answers pings open over several intervals', async () => {
    // A silent peer would be cut after 30 + 60 ms; this one is watched for at least 6 × 30 ms.
    const { HeartbeatGateway, events } = heartbeatFixture();
    const { port, app } = await startApp([HeartbeatGateway], { pingInterval: 30, pingTimeout: 60 });
    const peer = await RawPeer.open(port, '/heartbeat');
    peer.answerPings();
    await eventually(() => pingCount(peer) >= 6, 'six pings');
    expect(peer.frames.some((f) => f.opcode === Opcode.close)).toBe(false);
    expect(peer.ended).toBe(false);
    expect(app.connectionCount).toBe(1);
    expect(events.closes).toEqual([]);
    // Each answered pong reached @OnPong, as a Buffer with the (empty) payload of the server's ping.
    expect(events.pongs.length).toBeGreaterThanOrEqual(3);
    for (const data of events.pongs) expect(data).toEqual(Buffer.alloc(0));
    // Still usable.
    peer.send(frame(Opcode.text, 'alive'));
    const echo = await peer.waitFor((f) => f.opcode === Opcode.text);
    expect(echo?.payload.toString()).toBe('alive');
  });

  it('answers pings automatically and hands @OnPing / @OnPong the payload as a Buffer', async () => {
    const { HeartbeatGateway, events } = heartbeatFixture();
    const { port } = await startApp([HeartbeatGateway]);
    const peer = await RawPeer.open(port, '/heartbeat');
    peer.send(frame(Opcode.ping, 'are you there'));
    const pong = await peer.waitFor((f) => f.opcode === Opcode.pong);
    expect(pong?.payload.toString()).toBe('are you there');
    await eventually(() => events.pings.length === 1, '@OnPing');
    expect(Buffer.isBuffer(events.pings[0])).toBe(true);
    expect(events.pings[0].toString()).toBe('are you there');

    const bytes = Buffer.from([0, 1, 2, 0xff]);
    peer.send(frame(Opcode.pong, bytes)); // unsolicited pongs are allowed (RFC 6455 §5.5.3)
    await eventually(() => events.pongs.length === 1, '@OnPong');
    expect(Buffer.isBuffer(events.pongs[0])).toBe(true);
    expect(events.pongs[0]).toEqual(bytes);
    // No heartbeat unless asked: the server sent no ping of its own.
    expect(pingCount(peer)).toBe(0);
  });

  it('pingTimeout defaults to pingInterval', async () => {
    const { HeartbeatGateway } = heartbeatFixture();
    const { port } = await startApp([HeartbeatGateway], { pingInterval: 100, closeTimeout: NO_CLOSE_TIMEOUT });
    const started = performance.now();
    const peer = await RawPeer.open(port, '/heartbeat');
    expect(await peer.closeFrame()).toEqual({ code: 1000, reason: 'ping timed out' });
    const elapsed = performance.now() - started;
    await peer.closed();
    expect(elapsed).toBeGreaterThanOrEqual(200 - 2);
    expect(elapsed).toBeLessThan(200 + SLACK_MS);
  });

  it("a gateway's pingInterval and pingTimeout override the app's", async () => {
    const { HeartbeatGateway } = heartbeatFixture();
    let fastClosed = false;
    @Gateway('/fast', { pingInterval: 40, pingTimeout: 40 })
    class FastHeartbeatGateway {
      @OnMessage() onMessage(): void {}
      @OnClose() onClose(): void {
        fastClosed = true;
      }
    }
    const { port } = await startApp([HeartbeatGateway, FastHeartbeatGateway], {
      pingInterval: NO_CLOSE_TIMEOUT,
      pingTimeout: NO_CLOSE_TIMEOUT,
      closeTimeout: NO_CLOSE_TIMEOUT,
    });
    const appSettings = await RawPeer.open(port, '/heartbeat');
    const fast = await RawPeer.open(port, '/fast');
    expect(await fast.closeFrame()).toEqual({ code: 1000, reason: 'ping timed out' });
    await fast.closed();
    await eventually(() => fastClosed, "FastHeartbeatGateway's @OnClose");
    expect(pingCount(appSettings)).toBe(0);
    expect(appSettings.ended).toBe(false);
  });

  describe('timers', () => {
    const realSetInterval = global.setInterval;
    const realSetTimeout = global.setTimeout;
    afterEach(() => jest.restoreAllMocks());

    it("clears a connection's heartbeat timers when it closes, even with a ping awaiting its pong", async () => {
      // TimedHeartbeatGateway's heartbeat timers (the only ones of 37 and 53 ms) are wrapped to count their
      // firings after its connection closed; a connection to another gateway, whose pings keep
      // coming, serves as the clock: no sleeping.
      let firstClosed = false;
      let firedAfterClose = 0;
      const wrap = (fn: () => void) => (): void => {
        if (firstClosed) firedAfterClose++;
        fn();
      };
      jest.spyOn(global, 'setInterval').mockImplementation(((fn: () => void, ms?: number) =>
        realSetInterval(ms === 37 ? wrap(fn) : fn, ms)) as unknown as typeof setInterval);
      jest.spyOn(global, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) =>
        realSetTimeout(ms === 53 ? wrap(fn) : fn, ms)) as unknown as typeof setTimeout);

      let timedClosed = false;
      @Gateway('/timed', { pingInterval: 37, pingTimeout: 53 })
      class TimedHeartbeatGateway {
        @OnMessage() onMessage(): void {}
        @OnClose() onClose(): void {
          timedClosed = true;
        }
      }
      const { HeartbeatGateway } = heartbeatFixture();
      const { port, app } = await startApp([HeartbeatGateway, TimedHeartbeatGateway], { pingInterval: 30, pingTimeout: 60 });
      const clock = await RawPeer.open(port, '/heartbeat');
      clock.answerPings();
      const first = await RawPeer.open(port, '/timed');
      await first.waitFor(isPing); // unanswered: its 53 ms pong deadline is now running
      first.send(frame(Opcode.close, closePayload(1000, 'bye')));
      expect((await first.closeFrame())?.code).toBe(1000);
      await first.closed();
      await eventually(() => timedClosed, '@OnClose of the first connection');
      firstClosed = true;

      const seen = pingCount(clock);
      await eventually(() => pingCount(clock) >= seen + 5, 'five more pings on the other connection');
      expect(firedAfterClose).toBe(0);
      expect(app.connectionCount).toBe(1);
    });
  });
});

describe('client heartbeat', () => {
  it('closes and cuts a server that completes the handshake and then goes silent; readMessage() gives null', async () => {
    const received: Buffer[] = [];
    const server = await startTcpServer((socket) => {
      void readRequestHead(socket).then((headers) => {
        answer101(socket, headers);
        socket.on('data', (chunk: Buffer) => received.push(chunk)); // reads everything, answers nothing
      });
    });
    const started = performance.now();
    const conn = await connectClient(`ws://127.0.0.1:${server.port}/`, { pingInterval: 50, pingTimeout: 100, closeTimeout: NO_CLOSE_TIMEOUT });
    expect(await conn.readMessage()).toBeNull();
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(150 - 2);
    expect(elapsed).toBeLessThan(150 + SLACK_MS);
    expect(conn.isOpen).toBe(false);
    expect(conn.closeCode).toBeUndefined();
    // The server saw a ping, then the close frame, then the end of the TCP connection.
    const socket = server.sockets[0];
    await eventually(() => socket.readableEnded || socket.destroyed, 'the server end to see the cut');
    const frames = parseFrames(Buffer.concat(received), 'client').frames;
    expect(frames[0].opcode).toBe(Opcode.ping);
    const close = frames.find((f) => f.opcode === Opcode.close);
    expect(close && [close.payload.readUInt16BE(0), close.payload.subarray(2).toString()]).toEqual([1000, 'ping timed out']);
  });

  it("answers the server's pings with pongs carrying the same payload", async () => {
    const received: Buffer[] = [];
    const server = await startTcpServer((socket) => {
      void readRequestHead(socket).then((headers) => {
        answer101(socket, headers);
        socket.on('data', (chunk: Buffer) => received.push(chunk));
        socket.write(frame(Opcode.ping, 'marco', { mask: false })); // server frames are unmasked
      });
    });
    const conn = await connectClient(`ws://127.0.0.1:${server.port}/`);
    await eventually(() => parseFrames(Buffer.concat(received), 'client').frames.some((f) => f.opcode === Opcode.pong), 'the pong');
    const pong = parseFrames(Buffer.concat(received), 'client').frames.find((f) => f.opcode === Opcode.pong);
    expect(pong?.payload.toString()).toBe('marco');
    expect(conn.isOpen).toBe(true);
  });

  it('keeps a connection whose server answers pings open', async () => {
    const { HeartbeatGateway, events } = heartbeatFixture();
    const { url, app } = await startApp([HeartbeatGateway]);
    const conn = await connectClient(url('/heartbeat'), { pingInterval: 30, pingTimeout: 60 });
    await eventually(() => events.pings.length >= 6, 'six pings at the server');
    expect(conn.isOpen).toBe(true);
    expect(app.connectionCount).toBe(1);
    await conn.writeMessage('still here');
    expect(await conn.readMessage()).toBe('still here');
  });
});
