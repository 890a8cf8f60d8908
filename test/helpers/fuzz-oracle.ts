/**
 * The fuzzer's oracle: predicts, from the client's bytes alone, what an RFC 6455 server must
 * answer (ws 8.23's checks and their order, plus wsgate's mapping of huge lengths to 1002).
 * Written independently of ws's receiver: only the order of checks follows it.
 */

/**
 * How the connection ends: the server closes it with a code (`error`); it answers the peer's own
 * close frame (`close`, code undefined for an empty one); it is still open after the last byte
 * (`open`); or it is waiting for the rest of a frame (`incomplete`: the peer then ends the TCP stream).
 */
export type Ending =
  | { kind: 'error'; code: 1002 | 1007 | 1009 }
  | { kind: 'close'; code: number | undefined }
  | { kind: 'open' }
  | { kind: 'incomplete' };

export interface Prediction {
  /** Data messages the server delivers (and the echo gateway sends back), in order. */
  messages: Array<{ binary: boolean; data: Buffer }>;
  /** Payloads of pings the server answers with pongs, in order. */
  pongs: Buffer[];
  end: Ending;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
function validUtf8(b: Buffer): boolean {
  try {
    utf8.decode(b);
    return true;
  } catch {
    return false;
  }
}

function validCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

/**
 * What the server must do with these client bytes (no extensions negotiated, messages of at
 * most `maxPayload` bytes). Checks run in the order ws runs them; where RFC 6455 leaves the
 * order open (a frame with two faults), that order decides the code.
 */
export function predict(bytes: Buffer, maxPayload: number): Prediction {
  const out: Prediction = { messages: [], pongs: [], end: { kind: 'open' } };
  const error = (code: 1002 | 1007 | 1009): Prediction => ({ ...out, end: { kind: 'error', code } });
  let pos = 0;
  let fragmented = 0; // opcode of the message being assembled, 0 when none
  let total = 0;
  let fragments: Buffer[] = [];
  while (pos < bytes.length) {
    if (bytes.length - pos < 2) return { ...out, end: { kind: 'incomplete' } };
    const b0 = bytes[pos];
    const b1 = bytes[pos + 1];
    if (b0 & 0x30) return error(1002); // RSV2/RSV3
    if (b0 & 0x40) return error(1002); // RSV1 without permessage-deflate
    const fin = (b0 & 0x80) !== 0;
    let opcode = b0 & 0x0f;
    const len7 = b1 & 0x7f;
    if (opcode === 0) {
      if (!fragmented) return error(1002); // continuation of nothing
      opcode = fragmented;
    } else if (opcode === 1 || opcode === 2) {
      if (fragmented) return error(1002); // a new message inside a fragmented one
    } else if (opcode >= 8 && opcode <= 10) {
      if (!fin) return error(1002); // fragmented control frame
      if (len7 > 125 || (opcode === 8 && len7 === 1)) return error(1002);
    } else {
      return error(1002); // reserved opcode
    }
    if (!fin && !fragmented) fragmented = opcode;
    if (!(b1 & 0x80)) return error(1002); // unmasked client frame
    let offset = pos + 2;
    let len = len7;
    if (len7 === 126) {
      if (bytes.length < offset + 2) return { ...out, end: { kind: 'incomplete' } };
      len = bytes.readUInt16BE(offset);
      offset += 2;
    } else if (len7 === 127) {
      if (bytes.length < offset + 8) return { ...out, end: { kind: 'incomplete' } };
      const hi = bytes.readUInt32BE(offset);
      if (hi >= 2 ** 31) return error(1002); // top bit set: a protocol error
      if (hi > 2 ** 21 - 1) return error(1009); // legal but beyond 2^53 - 1: too big
      len = hi * 2 ** 32 + bytes.readUInt32BE(offset + 4);
      offset += 8;
    }
    if (len && opcode < 8) {
      total += len;
      if (total > maxPayload) return error(1009); // checked on the header, before the payload arrives
    }
    if (bytes.length < offset + 4 + len) return { ...out, end: { kind: 'incomplete' } };
    const key = bytes.subarray(offset, offset + 4);
    const payload = Buffer.from(bytes.subarray(offset + 4, offset + 4 + len));
    for (let i = 0; i < payload.length; i++) payload[i] ^= key[i & 3];
    pos = offset + 4 + len;
    if (opcode === 8) {
      if (len === 0) return { ...out, end: { kind: 'close', code: undefined } };
      const code = payload.readUInt16BE(0);
      if (!validCloseCode(code)) return error(1002);
      if (!validUtf8(payload.subarray(2))) return error(1007);
      return { ...out, end: { kind: 'close', code } }; // nothing after a close frame is read
    }
    if (opcode === 9) {
      out.pongs.push(payload);
      continue;
    }
    if (opcode === 10) continue;
    if (len) fragments.push(payload);
    if (!fin) continue;
    const data = Buffer.concat(fragments);
    fragments = [];
    total = 0;
    fragmented = 0;
    if (opcode === 1 && !validUtf8(data)) return error(1007); // ws validates the whole message at its end
    out.messages.push({ binary: opcode === 2, data });
  }
  return out;
}
