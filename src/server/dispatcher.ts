/**
 * Drives one connection's gateway instance: @OnOpen first, then messages one at a time and in
 * order, @OnClose exactly once, then disposal of the connection's container. Every call into
 * user code goes through `invoke`, the single place that logs and maps errors to close codes.
 * @module
 */
import type { DependencyContainer } from 'tsyringe';
import type { WebSocket } from 'ws';
import { DEFAULTS, isThenable, kAttach, kDispatcher, kFinished, kSend, kSession, kSocket } from '../constants';
import { ContractSession } from './contract/session';
import type { HookKind } from '../decorators/metadata';
import { WebSocketClosedError } from '../errors';
import { handleUserError } from '../connection/handler-errors';
import { InboundQueue } from '../connection/inbound-queue';
import type { IncomingMessage, Logger, OutgoingMessage } from '../types';
import { kCleanupStarted, type SocketLifecycle } from '../connection/websocket-connection';
import type { Connection } from './connection';
import { describeHook, type GatewayDefinition } from './definition';
import { disposeScope } from './scope';
import { decodeFrame, encodeMessage } from '../connection/serialize';

type Handler = (...args: unknown[]) => unknown;

type DispatchedSocket = WebSocket & { [kDispatcher]?: Dispatcher };

// Dispatcher.flags: one small integer rather than a field per boolean on every connection. BUSY: a
// handler (or @OnOpen) runs, messages wait in the queue. ENDED: the socket has closed. STOPPED: nothing
// more is delivered (a handler failed, or our side called close(); tornado delivers nothing after that
// either). CLOSE_DONE: @OnClose has settled.
const BUSY = 1, ENDED = 2, STOPPED = 4, CLOSE_DONE = 8;

// One shared listener for every socket: no closure per connection.
function onSocketMessage(this: DispatchedSocket, data: Buffer, isBinary: boolean): void {
  this[kDispatcher]!.receive(decodeFrame(data, isBinary));
}

export class Dispatcher implements SocketLifecycle {
  /** Messages waiting for a busy handler: bounded, pauses the socket, discards after close(). */
  private queue: InboundQueue<IncomingMessage> | undefined;
  /** BUSY | ENDED | STOPPED | CLOSE_DONE; busy until @OnOpen has run. */
  private flags = BUSY;
  /** Set once disposal has started; settles when the container is disposed. */
  private disposal: Promise<void> | undefined;
  // For whenDisposed() called before disposal started (app.close()); most connections never need it.
  private disposalWaiter: Promise<void> | undefined;
  private resolveDisposalWaiter: (() => void) | undefined;
  /** Set by drain(): called once no handler runs. */
  private idleWaiter: (() => void) | undefined;
  private readonly instanceMethods: Record<string | symbol, Handler>;
  /** The @OnMessage method, looked up once (on a contract gateway: the session's receive). */
  private readonly handleMessage: Handler;
  /** The contract protocol of this connection, on contract gateways. */
  private readonly session: ContractSession | undefined;

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
    if (def.contract) {
      // A contract connection's messages all go to its session as they are read: it queues data
      // messages itself, so that replies and $cancel never wait behind a handler.
      const session = new ContractSession(def.contract, instance, conn, logger, def.settings.maxQueuedMessages);
      conn[kSession] = this.session = session;
      this.handleMessage = (message: unknown) => session.receive(message as IncomingMessage);
    } else {
      this.handleMessage = this.instanceMethods[def.hooks.message!];
    }
  }

  /** Takes over an upgraded socket. The message listener is attached before @OnOpen runs. */
  start(ws: WebSocket, openArgs: readonly string[], subprotocol: string | undefined): void {
    const { settings, hooks } = this.def;
    (ws as DispatchedSocket)[kDispatcher] = this;
    this.session?.attach(ws);
    ws.on('message', onSocketMessage);
    if (hooks.ping) ws.on('ping', (data: Buffer) => this.invokeControl('ping', data));
    if (hooks.pong) ws.on('pong', (data: Buffer) => this.invokeControl('pong', data));
    this.conn[kAttach](ws, this, settings, subprotocol);
    if (!hooks.open) return this.next();
    const result = this.invoke('open', openArgs);
    if (result === FAILED) return;
    if (isThenable(result)) result.then(() => this.next(), (err: unknown) => this.fail('open', err));
    else this.next();
  }

  /** @internal Called by the socket's 'message' listener. */
  receive(message: IncomingMessage): void {
    if (this.flags & (STOPPED | ENDED)) return; // read and discarded: nothing is delivered after close()
    if (this.flags & BUSY) this.inbound().push(message);
    else this.deliver(message);
  }

  /** The queue, made when a message first has to wait (most connections never need one). */
  private inbound(): InboundQueue<IncomingMessage> {
    if (!this.queue) {
      this.queue = new InboundQueue(this.def.settings.maxQueuedMessages);
      this.queue.attach(this.conn[kSocket]!);
    }
    return this.queue;
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
      this.flags |= BUSY;
      result.then(
        (this.onHandlerResult ??= (value: unknown): void => this.afterHandler(value)),
        (this.onHandlerError ??= (err: unknown): void => this.fail('message', err)),
      );
      return;
    }
    try {
      if (this.reply(result)) this.flags |= BUSY;
    } catch (err) {
      this.fail('message', err);
    }
  }

  /** A promise-returning handler has settled with `value`; the next message may go once it is sent. */
  private afterHandler(value: unknown): void {
    if (value === undefined || this.flags & ENDED) return this.next();
    let waiting: boolean;
    try {
      waiting = this.reply(value);
    } catch (err) {
      return this.fail('message', err);
    }
    if (!waiting) this.next();
  }

  /**
   * Sends a handler's return value (as writeMessage would, docs/behaviour.md#gateways-and-decorators, without the promise nobody
   * sees). Returns true when the next message must wait for the flush: only while the socket
   * already buffers more than the high-water mark, so a fast sender still meets backpressure.
   * A value returned after the connection started closing has nowhere to go and is dropped,
   * as writeMessage would refuse it.
   */
  private reply(value: unknown): boolean {
    if (!this.conn.isOpen) return false;
    const data = encodeMessage(value as OutgoingMessage);
    if (this.conn[kSocket]!.bufferedAmount < DEFAULTS.replyHighWaterMark) {
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
    this.flags &= ~BUSY;
    if (this.flags & ENDED) return this.disposeWhenIdle();
    let message: IncomingMessage | undefined;
    while (!(this.flags & (BUSY | STOPPED)) && (message = this.queue?.shift()) !== undefined) {
      this.deliver(message);
      if (this.flags & ENDED) return this.disposeWhenIdle();
    }
    if (!(this.flags & BUSY)) this.idleWaiter?.();
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

  /** User code failed: the one place (handleUserError) logs it and picks the close code. */
  private fail(kind: HookKind, err: unknown): void {
    if (kind !== 'close') {
      this.flags |= STOPPED;
      this.queue?.clear();
    }
    if (kind === 'message' || kind === 'open') this.flags &= ~BUSY; // the failure is that handler's settlement
    handleUserError(this.conn, this.logger, describeHook(this.def, kind), err);
    if (this.flags & ENDED) this.disposeWhenIdle();
  }

  /**
   * SocketLifecycle: our close() was called. Nothing more is delivered: waiting messages are
   * dropped, reading resumes so the peer's close frame is seen, and what still arrives is discarded.
   */
  onClosing(): void {
    this.flags |= STOPPED;
    // Discarding needs no queue of its own: receive() drops everything once STOPPED is set.
    this.queue?.clear();
    this.queue?.startDiscarding();
  }

  /** SocketLifecycle: the socket has closed. Waiting messages are dropped, as tornado never reads them. */
  onEnded(): void {
    this.flags |= ENDED;
    this.queue?.clear();
    this.idleWaiter?.();
    // A close() from here on (from @OnClose itself, or a handler it awaits) must not wait for @OnClose.
    this.conn[kCleanupStarted]();
    const settling = this.session?.end();
    if (!settling) return this.runOnClose();
    // Contract handlers still running see their signal abort; @OnClose waits for them, within closeTimeout.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.def.settings.closeTimeout)));
    void Promise.race([settling, timeout]).then(() => {
      clearTimeout(timer);
      this.runOnClose();
    });
  }

  private runOnClose(): void {
    const finish = (): void => {
      this.flags |= CLOSE_DONE;
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
    if (this.disposal || (this.flags & (CLOSE_DONE | BUSY)) !== CLOSE_DONE) return;
    this.disposal = disposeScope(this.container, this.logger, this.def.name);
    if (this.resolveDisposalWaiter) void this.disposal.then(this.resolveDisposalWaiter);
  }

  /** The gateway this connection belongs to. */
  get gateway(): GatewayDefinition {
    return this.def;
  }

  /** A handler (or @OnOpen) of this connection is running. */
  get handlerRunning(): boolean {
    return (this.flags & BUSY) !== 0;
  }

  /** The socket has ended and @OnClose has not settled yet. */
  get closeHookRunning(): boolean {
    return (this.flags & (ENDED | CLOSE_DONE)) === ENDED;
  }

  /**
   * Graceful drain: stops reading (the socket is paused until close() resumes it), drops the
   * messages waiting and those still arriving, and settles once no handler is running (a running
   * handler's reply is sent, ahead of any close frame).
   */
  drain(): Promise<void> {
    this.flags |= STOPPED; // receive() drops from now on
    if (!(this.flags & ENDED)) this.inbound().stopReading();
    if ((this.flags & (BUSY | ENDED)) !== BUSY) return Promise.resolve();
    return new Promise<void>((resolve) => (this.idleWaiter = resolve));
  }

  /** Settles once the connection's container has been disposed (awaited by app.close()). */
  whenDisposed(): Promise<void> {
    return this.disposal ?? (this.disposalWaiter ??= new Promise<void>((resolve) => (this.resolveDisposalWaiter = resolve)));
  }
}

/** Marks a hook call that threw synchronously (already logged and handled). */
const FAILED = Symbol('failed');
