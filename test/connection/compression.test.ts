/**
 * permessage-deflate (issue 4): negotiated per gateway and on the client (tornado's
 * get_compression_options), effective on the wire (socket byte counters), refused cleanly by peers
 * that do not offer it, bounded by maxMessageSize after inflation (1009), and ws's threshold rule.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type WebSocket from 'ws';
import { Gateway, OnClose, OnMessage } from '../../src';
import { kSocket } from '../../src/constants';
import { netSocketOf } from '../../src/connection/ws-internals';
import { startApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { connectClient } from '../helpers/client';
import { frame, Opcode, type Frame } from '../helpers/frames';
import { RawPeer } from '../helpers/raw-peer';
import { connect, nextMessage } from '../helpers/ws-client';

const MiB = 1024 * 1024;

/** 1 MiB of text that compresses like real JSON traffic (repetitive keys, varying values). */
const BIG = (() => {
  const parts: string[] = [];
  for (let i = 0, size = 0; size < MiB; i++) {
    const part = JSON.stringify({ id: i, user: `user-${i % 97}`, active: i % 3 === 0, tags: ['a', 'b'] });
    parts.push(part);
    size += part.length;
  }
  return parts.join(',').slice(0, MiB);
})();

/** 'big' → the 1 MiB text; 'size:N' → N × 'x'; anything else → its length. */
function reply(m: string | Buffer): string {
  if (m === 'big') return BIG;
  const size = typeof m === 'string' && /^size:(\d+)$/.exec(m);
  if (size) return 'x'.repeat(Number(size[1]));
  return `${m.length}`;
}

/**
 * A gateway (fresh for each call) with compression on and room for a 1 MiB message, answering with
 * `reply`, and how many times its @OnClose ran.
 */
function compressionOnFixture() {
  const observed = { closes: 0 };
  @Gateway('/on', { compression: {}, maxMessageSize: MiB + 1024 })
  class CompressionOnGateway {
    @OnMessage() onMessage(m: string | Buffer): string {
      return reply(m);
    }
    @OnClose() onClose(): void {
      observed.closes++;
    }
  }
  return { CompressionOnGateway, observed };
}

/** A permessage-deflate payload: raw DEFLATE without the trailing 00 00 ff ff (RFC 7692 §7.2.1). */
function deflated(data: Buffer | string): Buffer {
  const out = deflateRawSync(data, { finishFlush: 2 /* Z_SYNC_FLUSH */ });
  return out.subarray(0, out.length - 4);
}

/**
 * The peer's side of the server's compression context: with context takeover a message may refer
 * back to the previous ones, whose last 32 KiB serve as the inflate dictionary.
 */
class Inflater {
  private history = Buffer.alloc(0);
  inflate(payload: Buffer): string {
    const out = inflateRawSync(Buffer.concat([payload, Buffer.from([0, 0, 0xff, 0xff])]), {
      finishFlush: 2,
      ...(this.history.length > 0 && { dictionary: this.history }),
    });
    this.history = Buffer.concat([this.history, out]).subarray(-32 * 1024);
    return out.toString();
  }
}

function inflated(payload: Buffer): string {
  return new Inflater().inflate(payload);
}

const RSV1 = 4;
const OFFER = { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' };

async function nextText(peer: RawPeer, after: number): Promise<Frame> {
  const f = await peer.waitFor((x) => x.opcode === Opcode.text && peer.frames.indexOf(x) >= after);
  if (!f) throw new Error('closed before the next text frame');
  return f;
}

describe('negotiation', () => {
  it('answers an offer with Sec-WebSocket-Extensions: permessage-deflate and compresses its frames (RSV1)', async () => {
    const { CompressionOnGateway } = compressionOnFixture();
    const { port } = await startApp([CompressionOnGateway]);
    const peer = await RawPeer.open(port, '/on', OFFER);
    expect(peer.headers['sec-websocket-extensions']).toMatch(/^permessage-deflate/);
    const inflater = new Inflater();
    peer.send(frame(Opcode.text, 'size:5000'));
    const f = await nextText(peer, 0);
    expect(f.rsv).toBe(RSV1);
    expect(f.payload.length).toBeLessThan(500);
    expect(inflater.inflate(f.payload)).toBe('x'.repeat(5000));
    // The server inflates what the peer compressed.
    peer.send(frame(Opcode.text, deflated('size:3'), { rsv: RSV1 }));
    const g = await nextText(peer, peer.frames.indexOf(f) + 1);
    expect(g.rsv).toBe(RSV1);
    expect(inflater.inflate(g.payload)).toBe('xxx');
  });

  it('connects a client that does not offer the extension uncompressed: no header, no RSV1', async () => {
    const { CompressionOnGateway } = compressionOnFixture();
    const { port } = await startApp([CompressionOnGateway]);
    const peer = await RawPeer.open(port, '/on');
    expect(peer.headers['sec-websocket-extensions']).toBeUndefined();
    peer.send(frame(Opcode.text, 'size:5000'));
    const f = await nextText(peer, 0);
    expect(f.rsv).toBe(0);
    expect(f.payload.toString()).toBe('x'.repeat(5000));
  });

  it("a gateway's compression option overrides the app's, both ways", async () => {
    const { CompressionOnGateway } = compressionOnFixture();
    @Gateway('/off', { compression: false })
    class CompressionOffGateway {
      @OnMessage() onMessage(m: string | Buffer): string {
        return reply(m);
      }
    }
    /** No compression option of its own: the app's applies. */
    @Gateway('/app-default')
    class AppDefaultCompressionGateway {
      @OnMessage() onMessage(m: string | Buffer): string {
        return reply(m);
      }
    }
    const { port } = await startApp([CompressionOnGateway, CompressionOffGateway, AppDefaultCompressionGateway], { compression: {} });
    expect((await RawPeer.open(port, '/app-default', OFFER)).headers['sec-websocket-extensions']).toMatch(/^permessage-deflate/);
    expect((await RawPeer.open(port, '/off', OFFER)).headers['sec-websocket-extensions']).toBeUndefined();

    const { port: port2 } = await startApp([CompressionOnGateway, AppDefaultCompressionGateway]); // app: off
    expect((await RawPeer.open(port2, '/app-default', OFFER)).headers['sec-websocket-extensions']).toBeUndefined();
    expect((await RawPeer.open(port2, '/on', OFFER)).headers['sec-websocket-extensions']).toMatch(/^permessage-deflate/);
  });
});

describe('bytes on the wire', () => {
  it('a compressible 1 MiB message crosses as far fewer bytes, both ways (ws client)', async () => {
    const { CompressionOnGateway } = compressionOnFixture();
    const { url } = await startApp([CompressionOnGateway]);
    const ws = await connect(url('/on'), undefined, { perMessageDeflate: true });
    expect(ws.extensions).toMatch(/permessage-deflate/);
    const socket = netSocketOf(ws)!;
    const [read0, written0] = [socket.bytesRead, socket.bytesWritten];
    ws.send('big');
    expect((await nextMessage(ws)).data).toBe(BIG);
    const down = socket.bytesRead - read0;
    ws.send(BIG);
    expect((await nextMessage(ws)).data).toBe(String(MiB));
    const up = socket.bytesWritten - written0;
    expect(down).toBeLessThan(MiB / 10);
    expect(up).toBeLessThan(MiB / 10);
    if (process.env.WSGATE_REPORT) console.log(`compressed 1 MiB message: ${down} bytes server→client, ${up} bytes client→server`);
  });

  it('without the extension the same message costs its full size', async () => {
    const { CompressionOnGateway } = compressionOnFixture();
    const { url } = await startApp([CompressionOnGateway]);
    const ws = await connect(url('/on'), undefined, { perMessageDeflate: false });
    expect(ws.extensions).toBe('');
    const socket = netSocketOf(ws)!;
    const read0 = socket.bytesRead;
    ws.send('big');
    expect((await nextMessage(ws)).data).toBe(BIG);
    const down = socket.bytesRead - read0;
    expect(down).toBeGreaterThanOrEqual(MiB);
    expect(down).toBeLessThan(MiB + 64);
    if (process.env.WSGATE_REPORT) console.log(`uncompressed 1 MiB message: ${down} bytes server→client`);
  });

  it("websocketConnect's compression option offers permessage-deflate and compresses both ways", async () => {
    const { CompressionOnGateway } = compressionOnFixture();
    const { url } = await startApp([CompressionOnGateway]);
    const plain = await connectClient(url('/on'));
    expect((plain[kSocket] as WebSocket).extensions).toBe('');

    const conn = await connectClient(url('/on'), { compression: {}, maxMessageSize: 2 * MiB });
    const ws = conn[kSocket] as WebSocket;
    expect(ws.extensions).toMatch(/permessage-deflate/);
    const socket = netSocketOf(ws)!;
    const [read0, written0] = [socket.bytesRead, socket.bytesWritten];
    await conn.writeMessage(BIG);
    expect(await conn.readMessage()).toBe(String(MiB));
    await conn.writeMessage('big');
    expect(await conn.readMessage()).toBe(BIG);
    expect(socket.bytesWritten - written0).toBeLessThan(MiB / 10);
    expect(socket.bytesRead - read0).toBeLessThan(MiB / 10);
  });
});

describe('limits', () => {
  it('closes with 1009 on a small compressed frame that inflates beyond maxMessageSize; other connections are unaffected', async () => {
    const { CompressionOnGateway, observed } = compressionOnFixture();
    const { port, url, logger, app } = await startApp([CompressionOnGateway]);
    const bystander = await connect(url('/on'), undefined, { perMessageDeflate: true });
    const peer = await RawPeer.open(port, '/on', OFFER);
    const bomb = deflated(Buffer.alloc(64 * MiB)); // 64 MiB of zeros
    expect(bomb.length).toBeLessThan(128 * 1024);
    peer.send(frame(Opcode.binary, bomb, { rsv: RSV1 }));
    expect((await peer.closeFrame())?.code).toBe(1009);
    await peer.closed();
    await eventually(() => observed.closes === 1, '@OnClose of the bomber');
    bystander.send('size:10');
    expect((await nextMessage(bystander)).data).toBe('x'.repeat(10));
    expect(app.connectionCount).toBe(1);
    expect(logger.errors).toEqual([]);
  });

  it('accepts a compressed message that inflates to exactly the limit', async () => {
    const { CompressionOnGateway } = compressionOnFixture();
    const { port } = await startApp([CompressionOnGateway]);
    const peer = await RawPeer.open(port, '/on', OFFER);
    peer.send(frame(Opcode.binary, deflated(Buffer.alloc(MiB + 1024)), { rsv: RSV1 }));
    const f = await nextText(peer, 0);
    expect(f.rsv === RSV1 ? inflated(f.payload) : f.payload.toString()).toBe(String(MiB + 1024));
  });
});

describe('threshold (ws semantics)', () => {
  it('with context takeover (the default) even messages below the threshold are compressed', async () => {
    const { CompressionOnGateway } = compressionOnFixture();
    const { port } = await startApp([CompressionOnGateway]);
    const peer = await RawPeer.open(port, '/on', OFFER);
    peer.send(frame(Opcode.text, 'size:100'));
    const f = await nextText(peer, 0);
    expect(f.rsv).toBe(RSV1);
    expect(inflated(f.payload)).toBe('x'.repeat(100));
  });

  it('with serverNoContextTakeover, messages below the threshold are sent uncompressed', async () => {
    @Gateway('/no-takeover', { compression: { serverNoContextTakeover: true, threshold: 1024 } })
    class NoContextTakeoverGateway {
      @OnMessage() onMessage(m: string | Buffer): string {
        return reply(m);
      }
    }
    const { port } = await startApp([NoContextTakeoverGateway]);
    const peer = await RawPeer.open(port, '/no-takeover', OFFER);
    expect(peer.headers['sec-websocket-extensions']).toContain('server_no_context_takeover');
    peer.send(frame(Opcode.text, 'size:100'));
    const small = await nextText(peer, 0);
    expect(small.rsv).toBe(0);
    expect(small.payload.toString()).toBe('x'.repeat(100));
    peer.send(frame(Opcode.text, 'size:2000'));
    const large = await nextText(peer, peer.frames.indexOf(small) + 1);
    expect(large.rsv).toBe(RSV1);
    expect(inflated(large.payload)).toBe('x'.repeat(2000));
  });
});
