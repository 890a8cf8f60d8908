/**
 * Payloads built to cost the server more than they cost the sender: compression bombs, and
 * messages cut into tens of thousands of fragments.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { Connection, Gateway, OnClose, OnMessage } from '../../src';
import { netSocketOf } from '../../src/connection/ws-internals';
import { startApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { frame, Opcode } from '../helpers/frames';
import { RawPeer } from '../helpers/raw-peer';
import { closed, connect, nextMessage } from '../helpers/ws-client';

/**
 * A gateway (fresh for each call) with permessage-deflate on and a 1 MiB limit that echoes text and
 * answers binary with its length, and how many times its @OnClose ran.
 */
function compressedEchoFixture() {
  const observed = { closes: 0 };
  @Gateway('/deflate', { compression: {}, maxMessageSize: 1024 * 1024 })
  class CompressedEchoGateway {
    constructor(private readonly conn: Connection) {}
    @OnMessage() message(m: string | Buffer): Promise<void> {
      return this.conn.writeMessage(typeof m === 'string' ? m : `${m.length} bytes`);
    }
    @OnClose() onClose(): void {
      observed.closes++;
    }
  }
  return { CompressedEchoGateway, observed };
}

/** A gateway (fresh for each call) that answers each message with its length, and how many times its @OnClose ran. */
function lengthReplyFixture() {
  const observed = { closes: 0 };
  @Gateway('/plain')
  class RepliesWithLengthGateway {
    constructor(private readonly conn: Connection) {}
    @OnMessage() message(m: string | Buffer): Promise<void> {
      return this.conn.writeMessage(typeof m === 'string' ? `${m.length} chars` : `${m.length} bytes`);
    }
    @OnClose() onClose(): void {
      observed.closes++;
    }
  }
  return { RepliesWithLengthGateway, observed };
}

/** A permessage-deflate payload: raw DEFLATE without the trailing 00 00 ff ff (RFC 7692 §7.2.1). */
function deflated(data: Buffer | string): Buffer {
  const out = deflateRawSync(data, { finishFlush: 2 /* Z_SYNC_FLUSH */ });
  return out.subarray(0, out.length - 4);
}

function inflated(payload: Buffer): string {
  return inflateRawSync(Buffer.concat([payload, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: 2 }).toString();
}

describe('compression bombs', () => {
  it('closes with 1009 as soon as a message inflates past maxMessageSize, and keeps serving', async () => {
    const { CompressedEchoGateway, observed } = compressedEchoFixture();
    const { url, logger } = await startApp([CompressedEchoGateway]);
    const bystander = await connect(url('/deflate'), undefined, { perMessageDeflate: true });
    const bomber = await connect(url('/deflate'), undefined, { perMessageDeflate: true });
    expect(bomber.extensions).toMatch(/permessage-deflate/);
    const end = closed(bomber);
    bomber.send(Buffer.alloc(64 * 1024 * 1024)); // 64 MiB of zeros: about 64 KiB on the wire
    expect((await end).code).toBe(1009);
    const wire = netSocketOf(bomber)!.bytesWritten;
    expect(wire).toBeLessThan(1024 * 1024); // it really was a bomb: under 1 MiB sent for 64 MiB
    bystander.send('x'.repeat(5000));
    expect((await nextMessage(bystander)).data).toBe('x'.repeat(5000));
    await eventually(() => observed.closes === 1, '@OnClose of the bomber');
    expect(logger.errors).toEqual([]);
  });

  it('accepts a compressed message within the limit (the extension is really on)', async () => {
    const { CompressedEchoGateway } = compressedEchoFixture();
    const { port } = await startApp([CompressedEchoGateway]);
    const peer = await RawPeer.open(port, '/deflate', { 'Sec-WebSocket-Extensions': 'permessage-deflate' });
    peer.send(frame(Opcode.text, deflated('hello, compressed'), { rsv: 4 }));
    const reply = (await peer.waitFor((f) => f.opcode === Opcode.text))!;
    // With context takeover ws compresses every message, whatever the threshold (compression.test.ts).
    expect(reply.rsv).toBe(4);
    expect(inflated(reply.payload)).toBe('hello, compressed');
  });

  it.each([
    ['a ping', () => [frame(Opcode.ping, 'p', { rsv: 4 })]],
    ['a continuation frame', () => [frame(Opcode.text, deflated('ab'), { fin: false, rsv: 4 }), frame(Opcode.continuation, Buffer.alloc(0), { rsv: 4 })]],
  ])('closes with 1002 on RSV1 set on %s, even with compression negotiated', async (_name, frames) => {
    const { CompressedEchoGateway } = compressedEchoFixture();
    const { port } = await startApp([CompressedEchoGateway]);
    const peer = await RawPeer.open(port, '/deflate', { 'Sec-WebSocket-Extensions': 'permessage-deflate' });
    for (const f of frames()) peer.send(f);
    expect((await peer.closeFrame())?.code).toBe(1002);
  });

  it('closes with 1007 (or 1002) on a compressed payload that is not valid DEFLATE', async () => {
    const { CompressedEchoGateway, observed } = compressedEchoFixture();
    const { port, url, logger } = await startApp([CompressedEchoGateway]);
    const peer = await RawPeer.open(port, '/deflate', { 'Sec-WebSocket-Extensions': 'permessage-deflate' });
    peer.send(frame(Opcode.binary, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00]), { rsv: 4 }));
    expect([1002, 1007]).toContain((await peer.closeFrame())?.code);
    await eventually(() => observed.closes === 1, '@OnClose');
    const ws = await connect(url('/deflate'), undefined, { perMessageDeflate: true });
    ws.send('fine');
    expect((await nextMessage(ws)).data).toBe('fine');
    expect(logger.errors).toEqual([]);
  });
});

describe('fragment floods', () => {
  it('assembles a message of 10,000 fragments', async () => {
    const { RepliesWithLengthGateway } = lengthReplyFixture();
    const { port } = await startApp([RepliesWithLengthGateway]);
    const peer = await RawPeer.open(port, '/plain');
    const frames = [frame(Opcode.text, 'a', { fin: false })];
    for (let i = 1; i < 9999; i++) frames.push(frame(Opcode.continuation, 'b', { fin: false }));
    frames.push(frame(Opcode.continuation, 'c'));
    peer.send(Buffer.concat(frames));
    expect((await peer.waitFor((f) => f.opcode === Opcode.text))?.payload.toString()).toBe('10000 chars');
  });

  it('closes with 1008 a message of more than 16,384 fragments (empty ones too), and keeps serving', async () => {
    const { RepliesWithLengthGateway, observed } = lengthReplyFixture();
    const { port, url, logger } = await startApp([RepliesWithLengthGateway]);
    const peer = await RawPeer.open(port, '/plain');
    const empty = frame(Opcode.continuation, Buffer.alloc(0), { fin: false });
    peer.send(Buffer.concat([frame(Opcode.text, 'a', { fin: false }), ...Array.from({ length: 20_000 }, () => empty)]));
    expect((await peer.closeFrame())?.code).toBe(1008);
    await eventually(() => observed.closes === 1, '@OnClose');
    const ws = await connect(url('/plain'));
    ws.send('ok');
    expect((await nextMessage(ws)).data).toBe('2 chars');
    expect(logger.errors).toEqual([]);
  });
});
