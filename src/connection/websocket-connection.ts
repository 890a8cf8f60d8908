/**
 * The output side shared by the server's `Connection` and the client's `ClientConnection`:
 * writeMessage / close / ping / close codes over one `ws.WebSocket`.
 * @module
 */
import { WebSocket } from 'ws';
import { ABNORMAL_CLOSURE, kAttach, kConnection, kCork, kFinished, kSend, kSocket, kUncork, MAX_CLOSE_REASON_BYTES, NO_STATUS_RECEIVED, noop } from '../constants';
import { WebSocketClosedError } from '../errors';
import type { OutgoingMessage, WriteOptions } from '../types';
import { Heartbeat } from './heartbeat';
import { encodeMessage } from './serialize';
import { currentTick } from './tick';
import { isValidCloseCode } from './close-codes';
import { netSocketOf } from './ws-internals';

/** What the owner of a connection (dispatcher or client) is told about its socket's lifecycle. */
export interface SocketLifecycle {
  /** `close()` was called locally: paused reading must resume so the close frame can be read. */
  onClosing(): void;
  /** The socket has closed. The owner calls `[kFinished]()` once its own clean-up (e.g. `@OnClose`) is done. */
  onEnded(): void;
}

/** Keep-alive settings of a connection (a gateway's settings or the client's options are passed as they are). */
export interface AttachOptions {
  readonly pingInterval?: number;
  readonly pingTimeout?: number;
}

export { isValidCloseCode } from './close-codes';

type State = 'connecting' | 'open' | 'closing' | 'closed';

/** A ws.WebSocket that knows its connection, so one shared 'close' listener serves every socket. */
type OwnedSocket = WebSocket & { [kConnection]?: WebSocketConnection };

function onSocketClose(this: OwnedSocket, code: number, reason: Buffer): void {
  this[kConnection]?.[kSocketClosed](code, reason);
}

function uncorkAfterTick(conn: WebSocketConnection): void {
  conn[kUncork]();
}

// Constant send options: ws copies them, so one object per kind serves every frame.
const TEXT_FRAME = { binary: false } as const;
const BINARY_FRAME = { binary: true } as const;
const FINISHED: Promise<void> = Promise.resolve();
const kSocketClosed = Symbol('wsgate.socketClosed');

// Bits of `flags`: one small integer instead of a boolean field each (8 bytes per field per connection).
/** The TCP socket is corked until the next tick, so the frames of one tick leave in one write. */
const CORKED = 1;
/** The owner's clean-up is done: close() promises resolve at once. */
const FINISHED_BIT = 2;
/** The owner's clean-up (@OnClose) has started: close() no longer waits for it. */
const CLEANUP_STARTED = 4;
/** Told by the owner when its clean-up (`@OnClose`) starts: see `close()`. */
export const kCleanupStarted = Symbol('wsgate.cleanupStarted');

/**
 * Methods and state common to both ends of a WebSocket.
 * Not constructed directly: see `Connection` (server) and `ClientConnection` (client).
 */
export abstract class WebSocketConnection {
  /** @internal */
  [kSocket]: WebSocket | undefined;
  private state: State = 'connecting';
  private lifecycle: SocketLifecycle | undefined;
  private heartbeat: Heartbeat | undefined;
  private code: number | undefined;
  private reason: string | undefined;
  private subprotocol: string | undefined;
  /** CORKED | FINISHED_BIT | CLEANUP_STARTED. */
  private flags = 0;
  private lastSendTick = -1;
  // close() promises: created only when someone asks (most connections never call close()).
  private finished: Promise<void> | undefined;
  private resolveFinished: (() => void) | undefined;
  // Code and reason given to close() before the socket existed (e.g. from @CheckOrigin).
  private pendingClose: [number | undefined, string | undefined] | undefined;

  /** Whether messages can be written: the handshake is done and neither side has started closing. */
  get isOpen(): boolean {
    return this.state === 'open' && this[kSocket]?.readyState === WebSocket.OPEN;
  }

  /** Bytes handed to `writeMessage` but not yet flushed to the operating system. */
  get bufferedAmount(): number {
    return this[kSocket]?.bufferedAmount ?? 0;
  }

  /** Close code from the peer's close frame; `undefined` when it sent none or the TCP connection dropped. */
  get closeCode(): number | undefined {
    return this.code;
  }

  /** Close reason from the peer's close frame; `undefined` when it sent no code. */
  get closeReason(): string | undefined {
    return this.reason;
  }

  /** The negotiated subprotocol, if any. Mirrors tornado's `selected_subprotocol`. */
  get selectedSubprotocol(): string | undefined {
    return this.subprotocol;
  }

  /**
   * Sends a message: `string` → text frame; `Buffer`/`Uint8Array`/`ArrayBuffer` → binary frame; any
   * other value → JSON text. The promise resolves once the frame is flushed to the operating
   * system, so `await` is flow control; it rejects with `WebSocketClosedError` if the connection
   * ends first. Mirrors tornado's `write_message`.
   *
   * @throws WebSocketClosedError synchronously when the connection is closed or closing.
   * @example
   * ```ts
   * await conn.writeMessage({ type: 'joined', room });
   * ```
   */
  writeMessage(message: OutgoingMessage, options?: WriteOptions): Promise<void> {
    this.openSocket('writeMessage');
    const data = encodeMessage(message);
    const binary = typeof data !== 'string' || options?.binary === true;
    let sent: Promise<void> | undefined = undefined;
    sent = new Promise<void>((resolve, reject) => {
      this[kSend](data, binary, (err) => {
        if (!err) return resolve();
        void sent?.catch(noop); // a promise nobody awaits must not crash the process
        reject(new WebSocketClosedError(`WebSocket closed before the message was flushed: ${err.message}`));
      });
    });
    return sent;
  }

  /**
   * @internal Sends an encoded frame on an open socket. The first frame of a tick is written at
   * once (no added latency); from the second on, the TCP socket is corked until the next tick, so
   * the replies to one read leave in one write instead of one system call each.
   */
  [kSend](data: string | Buffer, binary: boolean, callback?: (err?: Error) => void): void {
    const tick = currentTick();
    if (this.lastSendTick === tick) this[kCork]();
    else this.lastSendTick = tick;
    this[kSocket]!.send(data, binary ? BINARY_FRAME : TEXT_FRAME, callback);
  }

  /** @internal Corks the TCP socket until the next tick (once per tick), for anything about to write to it. */
  [kCork](): void {
    if (this.flags & CORKED) return;
    // The TCP socket is read from ws when needed rather than kept: one field less per connection.
    const ws = this[kSocket];
    const socket = ws && netSocketOf(ws);
    if (!socket) return;
    this.flags |= CORKED;
    socket.cork();
    process.nextTick(uncorkAfterTick, this);
  }

  /** @internal Writes out what this tick corked (also before cutting a socket, so its close frame leaves). */
  [kUncork](): void {
    if (!(this.flags & CORKED)) return;
    this.flags &= ~CORKED;
    netSocketOf(this[kSocket]!)?.uncork();
  }

  /**
   * Starts the closing handshake. From then on the connection is closed for writing. Resolves when
   * the connection has ended (and, on the server, `@OnClose` has run). Idempotent. Called during or
   * after the connection's own `@OnClose`, it resolves at once (tornado: a no-op).
   * Mirrors tornado's `close(code, reason)`.
   *
   * @param code RFC 6455 §7.4.1 close code; 1000 when only a reason is given.
   * @example
   * ```ts
   * await conn.close(4001, 'unauthorized');
   * ```
   */
  close(code?: number, reason?: string): Promise<void> {
    if (code === undefined && reason !== undefined) code = 1000;
    if (code !== undefined && !isValidCloseCode(code)) throw new RangeError(`close: invalid close code ${code}`);
    if (reason !== undefined && Buffer.byteLength(reason) > MAX_CLOSE_REASON_BYTES) throw new RangeError(`close: reason longer than ${MAX_CLOSE_REASON_BYTES} bytes`);
    const ws = this[kSocket];
    if (this.state === 'connecting' && !ws) {
      this.pendingClose = [code, reason];
      this.state = 'closing';
    } else if (this.state === 'open' || this.state === 'connecting') {
      this.state = 'closing';
      this.stopHeartbeat();
      ws?.close(code, reason);
      this.lifecycle?.onClosing();
    }
    if (this.flags & (FINISHED_BIT | CLEANUP_STARTED)) return FINISHED;
    return (this.finished ??= new Promise<void>((resolve) => (this.resolveFinished = resolve)));
  }

  /**
   * Sends a ping frame (at most 125 bytes of payload). Mirrors tornado's `ping`.
   *
   * @throws WebSocketClosedError when closed; RangeError when `data` is too long.
   * @example
   * ```ts
   * conn.ping(Buffer.from('are you there'));
   * ```
   */
  ping(data: string | Buffer = Buffer.alloc(0)): void {
    const ws = this.openSocket('ping');
    if (Buffer.byteLength(data) > 125) throw new RangeError('ping: payload larger than 125 bytes');
    ws.ping(data, undefined, noop);
  }

  /**
   * Sets TCP_NODELAY on the socket (Nagle's algorithm off when `true`; ws turns it off for every new
   * connection). Does nothing once the connection has closed. Mirrors tornado's `set_nodelay`.
   *
   * @example
   * ```ts
   * conn.setNoDelay(true);
   * ```
   */
  setNoDelay(value: boolean): void {
    const ws = this[kSocket];
    if (ws) netSocketOf(ws)?.setNoDelay(value);
  }

  /**
   * @internal Binds the connection to its socket; `lifecycle` is told when reading must resume and
   * when it ended. `subprotocol`: the one the handshake selected, if any.
   */
  [kAttach](ws: WebSocket, lifecycle: SocketLifecycle, options: AttachOptions = {}, subprotocol?: string): void {
    this[kSocket] = ws;
    (ws as OwnedSocket)[kConnection] = this;
    this.lifecycle = lifecycle;
    this.subprotocol = subprotocol || undefined;
    ws.on('error', noop); // ws reports protocol errors here and then closes with the matching code
    ws.on('close', onSocketClose);
    if (this.pendingClose) {
      ws.close(...this.pendingClose);
      lifecycle.onClosing();
      return;
    }
    this.state = 'open';
    if (options.pingInterval) {
      this.heartbeat = new Heartbeat(ws, options.pingInterval, options.pingTimeout ?? options.pingInterval, () => {
        if (this.state === 'open') this.state = 'closing';
        this.stopHeartbeat();
        this[kUncork](); // the socket is cut right after the close frame: nothing may wait in a cork
      });
    }
  }

  /** @internal From now on close() resolves at once: the owner's clean-up has started and may call it. */
  [kCleanupStarted](): void {
    this.flags |= CLEANUP_STARTED;
  }

  /** @internal Resolves every `close()` promise; called by the owner once its clean-up is done. */
  [kFinished](): void {
    this.flags |= FINISHED_BIT;
    this.resolveFinished?.();
  }

  /** @internal */
  [kSocketClosed](code: number, reason: Buffer): void {
    this.state = 'closed';
    this.stopHeartbeat();
    if (code !== NO_STATUS_RECEIVED && code !== ABNORMAL_CLOSURE) {
      this.code = code;
      this.reason = reason.toString();
    }
    this.lifecycle?.onEnded();
  }

  private stopHeartbeat(): void {
    this.heartbeat?.stop();
    this.heartbeat = undefined;
  }

  private openSocket(operation: string): WebSocket {
    const ws = this[kSocket];
    if (!ws || !this.isOpen) {
      throw new WebSocketClosedError(`${operation}: WebSocket is ${this.state === 'connecting' ? 'not open yet' : 'closed'}`);
    }
    return ws;
  }
}
