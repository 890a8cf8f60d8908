/**
 * Drives one connection's gateway instance: @OnOpen first, then messages one at a time and in
 * order, @OnClose exactly once, then disposal of the connection's container. Every call into
 * user code goes through `invoke`, the single place that logs and maps errors to close codes.
 * @module
 */
import type { DependencyContainer } from 'tsyringe';
import type { WebSocket } from 'ws';
import { CloseCode, DEFAULTS, kAttach, kDispatcher, kFinished, kSend } from '../constants';
import type { HookKind } from '../decorators/metadata';
import { WebSocketClosedError, WebSocketError } from '../errors';
import type { IncomingMessage, Logger, OutgoingMessage } from '../types';
import { kCleanupStarted, type SocketLifecycle } from '../connection/websocket-connection';
import type { Connection } from './connection';
import { describeHook, type GatewayDefinition } from './definition';
import { disposeScope } from './scope';
import { decodeFrame, encodeMessage } from '../connection/serialize';

type Handler = (...args: unknown[]) => unknown;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

type DispatchedSocket = WebSocket & { [kDispatcher]?: Dispatcher };

// One shared listener for every socket: no closure per connection.
function onSocketMessage(this: DispatchedSocket, data: Buffer, isBinary: boolean): void {
  this[kDispatcher]!.receive(decodeFrame(data, isBinary));
}

export class Dispatcher implements SocketLifecycle {
  private readonly queue: IncomingMessage[] = [];
  /** A handler (or @OnOpen) is running; incoming messages wait in the queue. */
  private busy = true;
  private paused = false;
  private closing = false;
  private ended = false;
  /** A handler failed: the connection is closing with 1011 (or its WebSocketError code) and gets no more messages. */
  private stopped = false;
  private closeDone = false;
  /** Set once disposal has started; settles when the container is disposed. */
  private disposal: Promise<void> | undefined;
  // For whenDisposed() called before disposal started (app.close()); most connections never need it.
  private disposalWaiter: Promise<void> | undefined;
  private resolveDisposalWaiter: (() => void) | undefined;
  /** Set by drain(): called once no handler runs. */
  private idleWaiter: (() => void) | undefined;
  private ws!: WebSocket;
  private readonly instanceMethods: Record<string | symbol, Handler>;
  /** The @OnMessage method, looked up once. */
  private readonly handleMessage: Handler;

  // Made on first use, then reused: the per-message path creates no closures.
  private onHandlerResult: ((value: unknown) => void) | undefined;
  private onHandlerError: ((err: unknown) => void) | undefined;
  private onReplyFlushed: ((err?: Error) => void) | undefined;

  constructor(
    private readonly def: GatewayDefinition,
    instance: object,
    readonly conn: Connection,
    private readonly container: DependencyContainer,
    private readonly logger: Logger,
    private readonly onDone: (d: Dispatcher) => void,
  ) {
    this.instanceMethods = instance as Record<string | symbol, Handler>;
    this.handleMessage = this.instanceMethods[def.hooks.message];
  }

  /** Takes over an upgraded socket. The message listener is attached before @OnOpen runs. */
  start(ws: WebSocket, openArgs: readonly string[], subprotocol: string | undefined): void {
    this.ws = ws;
    const { settings, hooks } = this.def;
    (ws as DispatchedSocket)[kDispatcher] = this;
    ws.on('message', onSocketMessage);
    if (hooks.ping) ws.on('ping', (data: Buffer) => this.invokeControl('ping', data));
    if (hooks.pong) ws.on('pong', (data: Buffer) => this.invokeControl('pong', data));
    this.conn[kAttach](ws, this, { pingInterval: settings.pingInterval, pingTimeout: settings.pingTimeout, subprotocol });
    if (!hooks.open) return this.next();
    const result = this.invoke('open', openArgs);
    if (result === FAILED) return;
    if (isThenable(result)) result.then(() => this.next(), (err: unknown) => this.fail('open', err));
    else this.next();
  }

  /** @internal Called by the socket's 'message' listener. */
  receive(message: IncomingMessage): void {
    if (this.ended || this.stopped) return;
    if (this.busy) {
      this.queue.push(message);
      if (!this.paused && !this.closing && this.queue.length >= this.def.settings.maxQueuedMessages) {
        this.paused = true;
        this.ws.pause(); // TCP backpressure reaches the sender; ws still parses the chunk in hand
      }
      return;
    }
    this.deliver(message);
  }

  /** The hot path: a synchronous handler costs one call, and its return value one send. */
  private deliver(message: IncomingMessage): void {
    let result: unknown;
    try {
      result = this.handleMessage.call(this.instanceMethods, message);
    } catch (err) {
      return this.fail('message', err);
    }
    if (result === undefined) return;
    if (isThenable(result)) {
      this.busy = true;
      result.then(
        (this.onHandlerResult ??= (value: unknown): void => this.afterHandler(value)),
        (this.onHandlerError ??= (err: unknown): void => this.fail('message', err)),
      );
      return;
    }
    try {
      if (this.reply(result)) this.busy = true;
    } catch (err) {
      this.fail('message', err);
    }
  }

  /** A promise-returning handler has settled with `value`; the next message may go once it is sent. */
  private afterHandler(value: unknown): void {
    if (value === undefined || this.ended) return this.next();
    let waiting: boolean;
    try {
      waiting = this.reply(value);
    } catch (err) {
      return this.fail('message', err);
    }
    if (!waiting) this.next();
  }

  /**
   * Sends a handler's return value (SPEC: "sent back with writeMessage", minus the promise nobody
   * sees). Returns true when the next message must wait for the flush: only while the socket
   * already buffers more than the high-water mark, so a fast sender still meets backpressure.
   * A value returned after the connection started closing has nowhere to go and is dropped,
   * as writeMessage would refuse it.
   */
  private reply(value: unknown): boolean {
    if (!this.conn.isOpen) return false;
    const data = encodeMessage(value as OutgoingMessage);
    if (this.ws.bufferedAmount < DEFAULTS.replyHighWaterMark) {
      this.conn[kSend](data, typeof data !== 'string');
      return false;
    }
    this.conn[kSend](data, typeof data !== 'string', (this.onReplyFlushed ??= (err?: Error): void => this.replyFlushed(err)));
    return true;
  }

  private replyFlushed(err: Error | undefined): void {
    if (!err) return this.next();
    this.fail('message', new WebSocketClosedError(`WebSocket closed before the message was flushed: ${err.message}`));
  }

  /** Delivers waiting messages until one of them makes the gateway busy. */
  private next(): void {
    this.busy = false;
    if (this.ended) return this.disposeWhenIdle();
    while (!this.busy && this.queue.length > 0) {
      const message = this.queue.shift()!;
      if (this.paused && this.queue.length === 0) this.resume();
      this.deliver(message);
      if (this.ended) return this.disposeWhenIdle();
    }
    if (!this.busy) this.idleWaiter?.();
  }

  private resume(): void {
    this.paused = false;
    this.ws.resume();
  }

  /** Runs a hook other than @OnMessage with `args`; returns its result, or FAILED after logging and closing. */
  private invoke(kind: HookKind, args: readonly unknown[]): unknown {
    try {
      return this.instanceMethods[this.def.hooks[kind]!](...args);
    } catch (err) {
      this.fail(kind, err);
      return FAILED;
    }
  }

  private invokeControl(kind: 'ping' | 'pong', data: Buffer): void {
    const result = this.invoke(kind, [data]);
    if (isThenable(result)) result.then(undefined, (err: unknown) => this.fail(kind, err));
  }

  private fail(kind: HookKind, err: unknown): void {
    if (kind !== 'close') {
      this.stopped = true;
      this.queue.length = 0;
    }
    if (kind === 'message' || kind === 'open') this.busy = false; // the failure is that handler's settlement
    // A write racing the peer's close is not a bug in the handler.
    const expected = err instanceof WebSocketClosedError && !this.conn.isOpen;
    if (!expected) this.logger.error(`wsgate: ${describeHook(this.def, kind)} failed:`, err);
    if (this.conn.isOpen) this.closeFor(err);
    if (this.ended) this.disposeWhenIdle();
  }

  private closeFor(err: unknown): void {
    try {
      if (err instanceof WebSocketError) {
        void this.conn.close(err.code, err.reason);
        return;
      }
    } catch (invalid) {
      this.logger.error(`wsgate: ${this.def.name}: WebSocketError with an invalid close code, closing with 1011:`, invalid);
    }
    void this.conn.close(CloseCode.internalError, 'Internal error');
  }

  /** SocketLifecycle: our close() was called, so reading resumes whatever the queue holds. */
  onClosing(): void {
    this.closing = true;
    if (this.paused) this.resume();
  }

  /** SocketLifecycle: the socket has closed. Waiting messages are dropped, as tornado never reads them. */
  onEnded(): void {
    this.ended = true;
    this.queue.length = 0;
    this.idleWaiter?.();
    // A close() from here on (from @OnClose itself, or a handler it awaits) must not wait for @OnClose.
    this.conn[kCleanupStarted]();
    const finish = (): void => {
      this.closeDone = true;
      this.conn[kFinished]();
      this.onDone(this);
      this.disposeWhenIdle();
    };
    if (!this.def.hooks.close) return finish();
    const result = this.invoke('close', []);
    if (isThenable(result)) {
      result.then(finish, (err: unknown) => {
        this.logger.error(`wsgate: ${describeHook(this.def, 'close')} failed:`, err);
        finish();
      });
    } else finish();
  }

  /** Disposes the connection's container once @OnClose is done and no handler is still running. */
  private disposeWhenIdle(): void {
    if (this.disposal || !this.closeDone || this.busy) return;
    this.disposal = disposeScope(this.container, this.logger, this.def.name);
    if (this.resolveDisposalWaiter) void this.disposal.then(this.resolveDisposalWaiter);
  }

  /** The gateway this connection belongs to. */
  get gateway(): GatewayDefinition {
    return this.def;
  }

  /** A handler (or @OnOpen) of this connection is running. */
  get handlerRunning(): boolean {
    return this.busy;
  }

  /** The socket has ended and @OnClose has not settled yet. */
  get closeHookRunning(): boolean {
    return this.ended && !this.closeDone;
  }

  /**
   * Graceful drain: stops reading (the socket is paused until close() resumes it), drops the
   * messages waiting and those still arriving, and settles once no handler is running (a running
   * handler's reply is sent, ahead of any close frame).
   */
  drain(): Promise<void> {
    this.stopped = true; // receive() drops from now on
    this.queue.length = 0;
    if (!this.paused && !this.ended) {
      this.paused = true;
      this.ws.pause();
    }
    if (!this.busy || this.ended) return Promise.resolve();
    return new Promise<void>((resolve) => (this.idleWaiter = resolve));
  }

  /** Settles once the connection's container has been disposed (awaited by app.close()). */
  whenDisposed(): Promise<void> {
    return this.disposal ?? (this.disposalWaiter ??= new Promise<void>((resolve) => (this.resolveDisposalWaiter = resolve)));
  }
}

/** Marks a hook call that threw synchronously (already logged and handled). */
const FAILED = Symbol('failed');
