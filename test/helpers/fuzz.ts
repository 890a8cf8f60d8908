/**
 * Frame fuzzing: a seeded generator of malformed and random client frame sequences. Each case's
 * expected answer comes from the oracle in fuzz-oracle.ts. Same seed, same bytes, same prediction.
 */
import { predict, type Prediction } from './fuzz-oracle';
import { frame, type FrameOptions } from './frames';

/** mulberry32: small, fast, and good enough to drive a fuzzer reproducibly. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  bool(p = 0.5): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = Math.floor(this.next() * 256);
    return b;
  }
}

/** One frame of a case: what frames.ts's `frame()` takes, minus the mask key (drawn from the case's Rng). */
export interface FrameSpec extends Omit<FrameOptions, 'maskKey'> {
  opcode: number;
  payload?: Buffer;
}

/** Encodes one client frame (masked unless `mask: false`), with a mask key from `rng`. */
export function encodeFrame(f: FrameSpec, rng: Rng): Buffer {
  const { opcode, payload, ...options } = f;
  return frame(opcode, payload, { ...options, maskKey: (f.mask ?? true) ? rng.bytes(4) : undefined });
}

const TEXT_POOL = ['a', 'b', 'z', ' ', '0', '~', 'é', 'ß', '€', 'ह', '中', '😀', '𝄞', '\u0000', '\n'];
const INVALID_UTF8 = [
  [0xff],
  [0xfe],
  [0x80], // lone continuation byte
  [0xc3], // lead byte without its continuation
  [0xc0, 0xaf], // overlong '/'
  [0xe0, 0x80, 0xaf], // overlong, 3 bytes
  [0xed, 0xa0, 0x80], // UTF-16 surrogate
  [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
  [0xf8, 0x88, 0x80, 0x80, 0x80], // 5-byte form
  [0xe2, 0x82], // truncated '€'
];
const INVALID_CLOSE_CODES = [0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];
const VALID_CLOSE_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999];
const RESERVED_OPCODES = [3, 4, 5, 6, 7, 11, 12, 13, 14, 15];

function randomText(rng: Rng, maxChars: number): Buffer {
  let s = '';
  const n = rng.int(0, maxChars);
  for (let i = 0; i < n; i++) s += rng.pick(TEXT_POOL);
  return Buffer.from(s);
}

function withInvalidUtf8(rng: Rng, text: Buffer): Buffer {
  const at = rng.int(0, text.length);
  // Insert at a character boundary so the rest stays valid and only the insertion is at fault.
  let cut = at;
  while (cut < text.length && (text[cut] & 0xc0) === 0x80) cut++;
  return Buffer.concat([text.subarray(0, cut), Buffer.from(rng.pick(INVALID_UTF8)), text.subarray(cut)]);
}

/** Splits a message payload into 1–4 fragments (possibly inside a UTF-8 character: ws validates the whole message). */
function fragmentsOf(rng: Rng, payload: Buffer, opcode: number, interleaveControl: boolean): FrameSpec[] {
  const parts = rng.int(1, 4);
  const cuts = Array.from({ length: parts - 1 }, () => rng.int(0, payload.length)).sort((a, b) => a - b);
  const bounds = [0, ...cuts, payload.length];
  const frames: FrameSpec[] = [];
  for (let i = 0; i < parts; i++) {
    frames.push({ opcode: i === 0 ? opcode : 0, fin: i === parts - 1, payload: payload.subarray(bounds[i], bounds[i + 1]) });
    if (interleaveControl && i < parts - 1 && rng.bool(0.5)) frames.push({ opcode: rng.pick([9, 10]), payload: rng.bytes(rng.int(0, 20)) });
  }
  return frames;
}

function validPiece(rng: Rng, maxPayload: number): FrameSpec[] {
  switch (rng.int(0, 5)) {
    case 0:
      return [{ opcode: 1, payload: randomText(rng, 40) }];
    case 1:
      return [{ opcode: 2, payload: rng.bytes(rng.int(0, 300)) }];
    case 2:
      return fragmentsOf(rng, randomText(rng, 60), 1, true);
    case 3:
      return fragmentsOf(rng, rng.bytes(rng.int(0, Math.min(maxPayload, 1500))), 2, true);
    case 4:
      return [{ opcode: rng.pick([9, 10]), payload: rng.bytes(rng.int(0, 125)) }];
    default:
      return [{ opcode: rng.pick([1, 2]), payload: randomText(rng, 20), lengthForm: rng.pick([16, 64] as const) }];
  }
}

/** The fault each case is built around; the oracle, not this label, decides the expected answer. */
export const CATEGORIES = [
  'valid',
  'badOpcode',
  'reservedBits',
  'unmasked',
  'fragmentedControl',
  'oversizeControl',
  'orphanContinuation',
  'interruptedMessage',
  'hugeLength',
  'lengthOverMax',
  'lyingLength',
  'truncated',
  'invalidUtf8',
  'invalidUtf8Fragmented',
  'invalidCloseCode',
  'closeLengthOne',
  'invalidCloseReason',
  'validClose',
  'oversizeMessage',
  'oversizeFragmented',
  'randomHeader',
  'garbage',
] as const;
export type Category = (typeof CATEGORIES)[number];

function faultPiece(rng: Rng, category: Category, maxPayload: number): { frames: FrameSpec[]; raw?: Buffer } {
  switch (category) {
    case 'valid':
      return { frames: validPiece(rng, maxPayload) };
    case 'badOpcode':
      return { frames: [{ opcode: rng.pick(RESERVED_OPCODES), fin: rng.bool(0.8), payload: rng.bytes(rng.int(0, 50)) }] };
    case 'reservedBits':
      return { frames: [{ ...rng.pick(validPiece(rng, maxPayload)), rsv: rng.int(1, 7) }] };
    case 'unmasked':
      return { frames: [{ ...rng.pick(validPiece(rng, maxPayload)), mask: false }] };
    case 'fragmentedControl':
      return { frames: [{ opcode: rng.pick([8, 9, 10]), fin: false, payload: rng.bytes(rng.int(0, 20)) }] };
    case 'oversizeControl':
      return { frames: [{ opcode: rng.pick([8, 9, 10]), payload: rng.bytes(rng.int(126, 400)) }] };
    case 'orphanContinuation':
      return { frames: [{ opcode: 0, fin: rng.bool(), payload: randomText(rng, 10) }] };
    case 'interruptedMessage':
      return { frames: [{ opcode: rng.pick([1, 2]), fin: false, payload: randomText(rng, 10) }, { opcode: rng.pick([1, 2]), fin: rng.bool(), payload: randomText(rng, 10) }] };
    case 'hugeLength': {
      const declared = rng.bool() ? (1n << 63n) | BigInt(rng.int(0, 1e6)) : (1n << 53n) + BigInt(rng.int(0, 1e6));
      return { frames: [{ opcode: rng.pick([1, 2]), payload: rng.bytes(rng.int(0, 8)), lengthForm: 64, declaredLength: declared }] };
    }
    case 'lengthOverMax':
      return { frames: [{ opcode: rng.pick([1, 2, 0]), payload: rng.bytes(rng.int(0, 8)), lengthForm: 64, declaredLength: BigInt(rng.int(maxPayload + 1, 2 ** 40)) }] };
    case 'lyingLength': {
      const payload = rng.bytes(rng.int(1, 200));
      const lie = BigInt(Math.max(0, payload.length + rng.pick([-100, -10, -1, 1, 10, 100])));
      return { frames: [{ opcode: rng.pick([1, 2]), payload, declaredLength: lie }] };
    }
    case 'truncated':
      return { frames: validPiece(rng, maxPayload) }; // cut by buildCase
    case 'invalidUtf8':
      return { frames: [{ opcode: 1, payload: withInvalidUtf8(rng, randomText(rng, 30)) }] };
    case 'invalidUtf8Fragmented':
      return { frames: fragmentsOf(rng, withInvalidUtf8(rng, randomText(rng, 60)), 1, true) };
    case 'invalidCloseCode': {
      const payload = Buffer.concat([Buffer.alloc(2), Buffer.from(rng.bool() ? 'bye' : '')]);
      payload.writeUInt16BE(rng.bool(0.7) ? rng.pick(INVALID_CLOSE_CODES) : rng.int(0, 65535), 0);
      return { frames: [{ opcode: 8, payload }] };
    }
    case 'closeLengthOne':
      return { frames: [{ opcode: 8, payload: rng.bytes(1) }] };
    case 'invalidCloseReason': {
      const payload = Buffer.concat([Buffer.alloc(2), withInvalidUtf8(rng, randomText(rng, 20))]);
      payload.writeUInt16BE(rng.pick(VALID_CLOSE_CODES), 0);
      return { frames: [{ opcode: 8, payload: payload.subarray(0, 125) }] };
    }
    case 'validClose': {
      if (rng.bool(0.2)) return { frames: [{ opcode: 8 }] };
      const payload = Buffer.concat([Buffer.alloc(2), randomText(rng, 20)]);
      payload.writeUInt16BE(rng.pick(VALID_CLOSE_CODES), 0);
      return { frames: [{ opcode: 8, payload: payload.subarray(0, 2 + Math.min(payload.length - 2, 123)) }] };
    }
    case 'oversizeMessage':
      return { frames: [{ opcode: rng.pick([1, 2]), payload: Buffer.alloc(rng.int(maxPayload + 1, maxPayload * 2), 0x61) }] };
    case 'oversizeFragmented':
      return { frames: fragmentsOf(rng, Buffer.alloc(rng.int(maxPayload + 1, maxPayload * 2), 0x62), rng.pick([1, 2]), true) };
    case 'randomHeader': {
      const b = rng.bytes(2);
      b[1] = (b[1] & 0x7f) | (rng.bool(0.9) ? 0x80 : 0);
      if (rng.bool(0.7)) b[0] &= 0x8f; // usually clear the reserved bits so the opcode and length get a say
      return { frames: [], raw: Buffer.concat([b, rng.bytes(rng.int(0, 140))]) };
    }
    case 'garbage':
      return { frames: [], raw: rng.bytes(rng.int(1, 64)) };
  }
}

export interface FuzzCase {
  seed: number;
  index: number;
  category: Category;
  bytes: Buffer;
  /** How the bytes are cut into writes (lengths), to exercise the parser across TCP chunks. */
  writes: number[];
  expected: Prediction;
}

/** Builds case `index` of `seed`: 0–3 valid pieces, the fault, sometimes more frames after it. */
export function buildCase(seed: number, index: number, maxPayload: number): FuzzCase {
  const rng = new Rng((seed * 1_000_003 + index) >>> 0);
  const category = CATEGORIES[index % CATEGORIES.length];
  const pieces: Buffer[] = [];
  for (let i = rng.int(0, 3); i > 0; i--) for (const f of validPiece(rng, maxPayload)) pieces.push(encodeFrame(f, rng));
  const fault = faultPiece(rng, category, maxPayload);
  const faultBytes = Buffer.concat([...fault.frames.map((f) => encodeFrame(f, rng)), fault.raw ?? Buffer.alloc(0)]);
  if (category === 'truncated') {
    pieces.push(faultBytes.subarray(0, rng.int(1, Math.max(1, faultBytes.length - 1))));
  } else {
    pieces.push(faultBytes);
    // Frames after a fault must be ignored; frames after a valid piece are just more input.
    for (let i = rng.int(0, 2); i > 0; i--) for (const f of validPiece(rng, maxPayload)) pieces.push(encodeFrame(f, rng));
  }
  const bytes = Buffer.concat(pieces);
  const writes: number[] = [];
  let left = bytes.length;
  for (let n = rng.int(1, 4); n > 1 && left > 1; n--) {
    const w = rng.int(1, left - 1);
    writes.push(w);
    left -= w;
  }
  writes.push(left);
  return { seed, index, category, bytes, writes, expected: predict(bytes, maxPayload) };
}
