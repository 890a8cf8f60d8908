/**
 * A hand-driven WebSocket client over a plain TCP socket: completes the upgrade, then sends any
 * bytes (valid or not) and parses the server's frames. For misbehaving-peer tests.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect as tcpConnect, type Socket } from 'node:net';
import { onCleanup } from './cleanup';

export interface Frame {
  fin: boolean;
  /** RSV1–3 as a 3-bit number (RSV1 = 4: the frame is compressed under permessage-deflate). */
  rsv: number;
  opcode: number;
  payload: Buffer;
}

export const Opcode = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

/** Builds one frame; client frames are masked unless `mask: false`. */
export function frame(opcode: number, payload: Buffer | string = Buffer.alloc(0), opts: { fin?: boolean; mask?: boolean; rsv?: number } = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const { fin = true, mask = true, rsv = 0 } = opts;
  const len = data.length;
  const lenBytes = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + lenBytes + (mask ? 4 : 0));
  head[0] = (fin ? 0x80 : 0) | (rsv << 4) | opcode;
  head[1] = (mask ? 0x80 : 0) | (len < 126 ? len : len < 65536 ? 126 : 127);
  if (lenBytes === 2) head.writeUInt16BE(len, 2);
  if (lenBytes === 8) head.writeBigUInt64BE(BigInt(len), 2);
  if (!mask) return Buffer.concat([head, data]);
  const key = randomBytes(4);
  key.copy(head, 2 + lenBytes);
  const masked = Buffer.alloc(len);
  for (let i = 0; i < len; i++) masked[i] = data[i] ^ key[i & 3];
  return Buffer.concat([head, masked]);
}

/** A close frame payload: 2-byte code + UTF-8 reason. */
export function closePayload(code: number, reason: Buffer | string = ''): Buffer {
  const r = typeof reason === 'string' ? Buffer.from(reason) : reason;
  const b = Buffer.alloc(2 + r.length);
  b.writeUInt16BE(code, 0);
  r.copy(b, 2);
  return b;
}

export class RawPeer {
  readonly frames: Frame[] = [];
  private buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  ended = false;
  private pongs = false;

  private constructor(
    readonly socket: Socket,
    /** The 101 answer's headers, names lower-cased. */
    readonly headers: Record<string, string>,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  /** Opens a TCP connection and completes the WebSocket upgrade for `path`. */
  static async open(port: number, path: string, extraHeaders: Record<string, string> = {}): Promise<RawPeer> {
    const socket = tcpConnect(port, '127.0.0.1');
    onCleanup(() => socket.destroy());
    await once(socket, 'connect');
    const headers = {
      Host: `127.0.0.1:${port}`,
      Upgrade: 'websocket',
      Connection: 'Upgrade',
      'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
      'Sec-WebSocket-Version': '13',
      ...extraHeaders,
    };
    socket.write(`GET ${path} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`);
    let head = Buffer.alloc(0);
    while (!head.includes('\r\n\r\n')) {
      const [chunk] = (await once(socket, 'data')) as [Buffer];
      head = Buffer.concat([head, chunk]);
    }
    const end = head.indexOf('\r\n\r\n') + 4;
    const statusLine = head.subarray(0, head.indexOf('\r\n')).toString();
    if (!statusLine.startsWith('HTTP/1.1 101')) throw new Error(`upgrade refused: ${statusLine}`);
    const headerLines = head.subarray(0, end - 4).toString('latin1').split('\r\n').slice(1);
    const responseHeaders = Object.fromEntries(headerLines.map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
    const peer = new RawPeer(socket, responseHeaders);
    if (head.length > end) peer.onData(head.subarray(end));
    return peer;
  }

  /** From now on, answers every ping frame with a pong carrying the same payload (as a browser does). */
  answerPings(): void {
    this.pongs = true;
    for (const f of this.frames) if (f.opcode === Opcode.ping) this.send(frame(Opcode.pong, f.payload));
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Waits until a frame matching `predicate` has arrived (or the socket closed: then undefined). */
  async waitFor(predicate: (f: Frame) => boolean): Promise<Frame | undefined> {
    for (;;) {
      const found = this.frames.find(predicate);
      if (found || this.ended) return found;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** The server's close frame as { code, reason }, or undefined if the socket closed without one. */
  async closeFrame(): Promise<{ code: number | undefined; reason: string } | undefined> {
    const f = await this.waitFor((x) => x.opcode === Opcode.close);
    if (!f) return undefined;
    return { code: f.payload.length >= 2 ? f.payload.readUInt16BE(0) : undefined, reason: f.payload.subarray(2).toString() };
  }

  async closed(): Promise<void> {
    if (!this.ended) await once(this.socket, 'close');
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.buffer.length < 2) break;
      const b1 = this.buffer[1] & 0x7f;
      let offset = 2;
      let len = b1;
      if (b1 === 126) {
        if (this.buffer.length < 4) break;
        len = this.buffer.readUInt16BE(2);
        offset = 4;
      } else if (b1 === 127) {
        if (this.buffer.length < 10) break;
        len = Number(this.buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.buffer.length < offset + len) break;
      const f: Frame = {
        fin: (this.buffer[0] & 0x80) !== 0,
        rsv: (this.buffer[0] >> 4) & 0x07,
        opcode: this.buffer[0] & 0x0f,
        payload: this.buffer.subarray(offset, offset + len),
      };
      this.frames.push(f);
      if (this.pongs && f.opcode === Opcode.ping && !this.socket.destroyed) this.send(frame(Opcode.pong, f.payload));
      this.buffer = this.buffer.subarray(offset + len);
    }
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
