/**
 * After our side has called close(), nothing new is delivered, so nothing is kept: messages that
 * a peer keeps sending (ignoring our close frame) are read and discarded, never queued.
 */
import { Connection, Gateway, OnClose, OnMessage } from '../../src';
import { kSocket } from '../../src/constants';
import { netSocketOf } from '../../src/connection/ws-internals';
import { startApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { frame, Opcode } from '../helpers/frames';
import { RawPeer } from '../helpers/raw-peer';

describe('messages after our close()', () => {
  it('a peer that ignores the close frame and keeps sending: none of it reaches the busy handler, the socket reads on', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const received: string[] = [];
    let closedWith: number | undefined | null = null;
    let serverSide: Connection | undefined;

    @Gateway('/close-then-busy')
    class CloseThenBusyGateway {
      constructor(private readonly conn: Connection) {
        serverSide = conn;
      }
      @OnMessage() async onMessage(m: string): Promise<void> {
        received.push(m);
        if (m !== 'first') return;
        void this.conn.close(4000, 'done'); // closed while this handler is still busy
        await gate;
      }
      @OnClose() onClose(): void {
        closedWith = this.conn.closeCode;
      }
    }

    // A long closeTimeout: the peer never answers our close frame, so the connection lives on while it sends.
    const { port } = await startApp([CloseThenBusyGateway], { maxQueuedMessages: 4, closeTimeout: 10_000 });
    const peer = await RawPeer.open(port, '/close-then-busy');
    peer.send(frame(Opcode.text, 'first'));
    expect((await peer.closeFrame())?.code).toBe(4000);

    // 2,000 messages of 4 KiB after our close frame: with a queue they would pause the socket
    // after 4, and each would be handed to the handler once it is free.
    const payload = 'x'.repeat(4096);
    for (let i = 0; i < 2000; i++) peer.send(frame(Opcode.text, payload));
    // The server reads all of it (its socket is not left paused) while the handler is still busy.
    const tcp = netSocketOf(serverSide![kSocket]!)!;
    await eventually(() => tcp.bytesRead === peer.socket.bytesWritten, 'the server to read every byte the peer sent');

    release();
    peer.send(frame(Opcode.close, Buffer.from([0x0f, 0xa0]))); // 4000: the close handshake ends
    await peer.closed();
    expect(received).toEqual(['first']);
    await eventually(() => closedWith !== null, '@OnClose');
    expect(closedWith).toBe(4000);
  });
});
