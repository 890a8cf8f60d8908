/**
 * A hand-driven WebSocket client over a plain TCP socket: completes the upgrade, then sends any
 * bytes (valid or not) and parses the server's frames. For misbehaving-peer tests.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect as tcpConnect, type Socket } from 'node:net';
import { onCleanup } from './cleanup';
import { frame, Opcode, parseFrames, type Frame } from './frames';
import { readHead, statusOf } from './http';

export class RawPeer {
  readonly frames: Frame[] = [];
  private buffer: Buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  ended = false;
  private pongs = false;
  /** Set when the server sent a frame no server may send (see parseFrames). */
  private failure: Error | undefined;

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
    const head = await readHead(socket);
    if (statusOf(head.startLine) !== 101) throw new Error(`upgrade refused: ${head.startLine}`);
    const peer = new RawPeer(socket, head.headers);
    if (head.rest.length > 0) peer.onData(head.rest);
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
      if (this.failure) throw this.failure;
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
    try {
      const { frames, rest } = parseFrames(Buffer.concat([this.buffer, chunk]), 'server');
      this.buffer = rest;
      for (const f of frames) {
        this.frames.push(f);
        if (this.pongs && f.opcode === Opcode.ping && !this.socket.destroyed) this.send(frame(Opcode.pong, f.payload));
      }
    } catch (err) {
      // A malformed server frame: every later waitFor rejects with it, and the socket is cut.
      this.failure = err as Error;
      this.socket.destroy();
    }
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
