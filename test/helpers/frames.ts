/**
 * RFC 6455 frames by hand, for tests: the one encoder and the one parser every test and helper uses
 * (RawPeer, the fuzzer, hand-made servers). Strict on purpose: a frame whose mask bit is not what the
 * sender's side requires, or whose length no real frame can have, throws instead of being misread.
 */
import { randomBytes } from 'node:crypto';

export const Opcode = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

export interface Frame {
  fin: boolean;
  /** RSV1–3 as a 3-bit number (RSV1 = 4: the frame is compressed under permessage-deflate). */
  rsv: number;
  opcode: number;
  /** Whether the frame carried a mask key (client frames must, server frames must not). */
  masked: boolean;
  /** The payload, unmasked. */
  payload: Buffer;
}

export interface FrameOptions {
  fin?: boolean;
  rsv?: number;
  /** Client frames are masked (the default); `false` writes a server-style unmasked frame. */
  mask?: boolean;
  /** The 4-byte mask key; random unless given (the fuzzer passes its seeded bytes). */
  maskKey?: Buffer;
  /** Length field encoding: the smallest (default), or forced 16/64-bit (non-minimal, still legal). */
  lengthForm?: 'min' | 16 | 64;
  /** Length written in the header instead of the real one (a lie). For 64-bit, may exceed 2^53. */
  declaredLength?: bigint;
}

/** Builds one frame; masked unless `mask: false`. */
export function frame(opcode: number, payload: Buffer | string = Buffer.alloc(0), opts: FrameOptions = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const { fin = true, mask = true, rsv = 0 } = opts;
  const declared = opts.declaredLength ?? BigInt(data.length);
  const form = opts.lengthForm === undefined || opts.lengthForm === 'min' ? (declared < 126n ? 7 : declared < 65536n ? 16 : 64) : opts.lengthForm;
  const head = Buffer.alloc(2 + (form === 16 ? 2 : form === 64 ? 8 : 0));
  head[0] = (fin ? 0x80 : 0) | (rsv << 4) | opcode;
  head[1] = (mask ? 0x80 : 0) | (form === 7 ? Number(declared) : form === 16 ? 126 : 127);
  if (form === 16) head.writeUInt16BE(Number(declared), 2);
  if (form === 64) head.writeBigUInt64BE(declared, 2);
  if (!mask) return Buffer.concat([head, data]);
  const key = opts.maskKey ?? randomBytes(4);
  if (key.length !== 4) throw new RangeError(`a mask key has 4 bytes, not ${key.length}`);
  return Buffer.concat([head, key, applyMask(data, key)]);
}

/** A close frame payload: 2-byte code + UTF-8 reason. */
export function closePayload(code: number, reason: Buffer | string = ''): Buffer {
  const r = typeof reason === 'string' ? Buffer.from(reason) : reason;
  const b = Buffer.alloc(2 + r.length);
  b.writeUInt16BE(code, 0);
  r.copy(b, 2);
  return b;
}

/** Who sent the bytes: a client must mask every frame, a server must mask none (RFC 6455 §5.1). */
export type Sender = 'client' | 'server';

/**
 * Parses the complete frames at the start of `bytes`; `rest` is the trailing incomplete frame (or
 * nothing). Throws when a frame's mask bit is wrong for `sender`, or its 64-bit length has the top
 * bit set or exceeds what a Buffer can hold: those are bugs of the sender, not frames to skip.
 */
export function parseFrames(bytes: Buffer, sender: Sender): { frames: Frame[]; rest: Buffer } {
  const frames: Frame[] = [];
  let at = 0;
  for (;;) {
    if (at + 2 > bytes.length) break;
    const b0 = bytes[at];
    const b1 = bytes[at + 1];
    const masked = (b1 & 0x80) !== 0;
    if (masked !== (sender === 'client')) {
      throw new Error(`a ${sender} frame ${masked ? 'with' : 'without'} a mask (byte ${at}: ${bytes.subarray(at, at + 2).toString('hex')})`);
    }
    let len = b1 & 0x7f;
    let offset = at + 2;
    if (len === 126) {
      if (offset + 2 > bytes.length) break;
      len = bytes.readUInt16BE(offset);
      offset += 2;
    } else if (len === 127) {
      if (offset + 8 > bytes.length) break;
      const big = bytes.readBigUInt64BE(offset);
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`a frame length of ${big} bytes (byte ${at})`);
      len = Number(big);
      offset += 8;
    }
    const key = masked ? bytes.subarray(offset, offset + 4) : undefined;
    if (key) offset += 4;
    if (offset + len > bytes.length) break;
    const payload = bytes.subarray(offset, offset + len);
    frames.push({ fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 0x07, opcode: b0 & 0x0f, masked, payload: key ? applyMask(payload, key) : payload });
    at = offset + len;
  }
  return { frames, rest: bytes.subarray(at) };
}

function applyMask(data: Buffer, key: Buffer): Buffer {
  const out = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] ^ key[i & 3];
  return out;
}
