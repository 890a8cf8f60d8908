/**
 * Slow readers: a client that stops reading. A gateway that awaits writeMessage waits with at
 * most one message in flight; one that does not await sees bufferedAmount grow and can act on
 * it; pingTimeout or closeTimeout cut a reader that never comes back. (SECURITY.md, "Slow readers".)
 */
import { Connection, Gateway, OnClose, OnMessage, OnOpen, WebSocketClosedError } from '../../src';
import { startApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { Opcode, frame } from '../helpers/frames';
import { RawPeer } from '../helpers/raw-peer';

const CHUNK = 64 * 1024;
/** More than any loopback socket buffers can take: a writer that gets this far was never held back. */
const MAX_WRITES = 1000;
const LIMIT = 1024 * 1024;

/** What the awaiting writer observed of its own writes. */
interface AwaitingWriterState {
  written: number;
  waiting: boolean;
  maxBuffered: number;
  error?: unknown;
  closed: number;
}

/**
 * A gateway (fresh for each call) that writes CHUNK-sized messages from @OnOpen, awaiting each
 * write before the next, and the state it records.
 */
function awaitingWriterFixture() {
  const state: AwaitingWriterState = { written: 0, waiting: false, maxBuffered: 0, closed: 0 };
  @Gateway('/awaiting')
  class AwaitingWriterGateway {
    constructor(private readonly conn: Connection) {}
    @OnOpen() open(): void {
      void this.pump();
    }
    private async pump(): Promise<void> {
      const chunk = Buffer.alloc(CHUNK, 0x61);
      try {
        while (state.written < MAX_WRITES) {
          state.waiting = true;
          const sent = this.conn.writeMessage(chunk);
          state.maxBuffered = Math.max(state.maxBuffered, this.conn.bufferedAmount);
          await sent;
          state.waiting = false;
          state.written++;
        }
      } catch (err) {
        state.error = err;
      }
    }
    @OnMessage() message(): void {}
    @OnClose() onClose(): void {
      state.closed++;
    }
  }
  return { AwaitingWriterGateway, state };
}

/** Waits until `state.written` has stopped moving for 200 ms (bounded: 5 s). */
async function stalled(state: AwaitingWriterState): Promise<number> {
  let last = -1;
  for (let i = 0; i < 25 && state.written !== last; i++) {
    last = state.written;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return state.written;
}

describe('a client that stops reading', () => {
  it('holds an awaiting writer at one message in flight, and lets it go on once the client reads again', async () => {
    const { AwaitingWriterGateway, state } = awaitingWriterFixture();
    const { port, logger } = await startApp([AwaitingWriterGateway]);
    const peer = await RawPeer.open(port, '/awaiting');
    peer.socket.pause();
    const stuckAt = await stalled(state);
    expect(stuckAt).toBeLessThan(MAX_WRITES); // socket buffers filled up, then the writer waited
    expect(state.waiting).toBe(true);
    expect(state.maxBuffered).toBeLessThanOrEqual(CHUNK + 14); // never more than the one frame in flight

    peer.socket.resume();
    // Everything the writer was told had been flushed arrives, then the writer carries on.
    await peer.waitFor(() => peer.frames.length > stuckAt + 10);
    expect(state.written).toBeGreaterThan(stuckAt);
    expect(peer.frames.slice(0, stuckAt).every((f) => f.opcode === Opcode.binary && f.payload.length === CHUNK)).toBe(true);
    peer.send(frame(Opcode.close, Buffer.from([0x03, 0xe8])));
    await eventually(() => state.closed === 1, '@OnClose');
    expect(logger.errors).toEqual([]);
  });

  it('lets a writer that does not await see bufferedAmount grow and shed the client; closeTimeout cuts it', async () => {
    const state: { stoppedAt?: number; bufferedAtStop?: number; closed: number } = { closed: 0 };
    /** Writes from @OnOpen without awaiting, and sheds the client once bufferedAmount passes LIMIT. */
    @Gateway('/unawaited')
    class UnawaitedWriterGateway {
      constructor(private readonly conn: Connection) {}
      @OnOpen() open(): void {
        const chunk = Buffer.alloc(CHUNK, 0x62);
        for (let i = 0; i < MAX_WRITES; i++) {
          // The pattern: a writer that does not await checks bufferedAmount and sheds the slow consumer.
          if (this.conn.bufferedAmount > LIMIT) {
            state.stoppedAt = i;
            state.bufferedAtStop = this.conn.bufferedAmount;
            void this.conn.close(1013, 'slow consumer');
            return;
          }
          void this.conn.writeMessage(chunk); // unawaited: its rejection must not crash anything
        }
      }
      @OnMessage() message(): void {}
      @OnClose() onClose(): void {
        state.closed++;
      }
    }
    const { port, app, logger } = await startApp([UnawaitedWriterGateway], { closeTimeout: 300 });
    const peer = await RawPeer.open(port, '/unawaited');
    peer.socket.pause(); // never resumed: the close frame stays stuck behind the data
    await eventually(() => state.closed === 1, '@OnClose after the close timeout');
    expect(state.stoppedAt).toBeLessThan(MAX_WRITES);
    expect(state.bufferedAtStop).toBeGreaterThan(LIMIT);
    expect(app.connectionCount).toBe(0);
    // Reading again, the client gets what had reached its socket buffers, then the end.
    peer.socket.resume();
    await peer.closed();
    expect(peer.frames.filter((f) => f.opcode === Opcode.binary).length).toBeLessThanOrEqual(state.stoppedAt!);
    // The unawaited writes were rejected when the socket was cut: no crash, nothing logged.
    expect(logger.errors).toEqual([]);
  });

  it('cuts a stuck reader with pingTimeout, and the awaiting writer gets WebSocketClosedError', async () => {
    const { AwaitingWriterGateway, state } = awaitingWriterFixture();
    const { port, app } = await startApp([AwaitingWriterGateway], { pingInterval: 100, pingTimeout: 200 });
    const peer = await RawPeer.open(port, '/awaiting');
    peer.socket.pause(); // the pings queue behind the data: no pong can come back
    await eventually(() => state.closed === 1, '@OnClose after the ping timeout');
    expect(state.error).toBeInstanceOf(WebSocketClosedError);
    expect(state.written).toBeLessThan(MAX_WRITES);
    expect(app.connectionCount).toBe(0);
    peer.socket.resume();
    await peer.closed();
  });
});
