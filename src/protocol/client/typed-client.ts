/**
 * The typed client: calls, events, server requests and streams of a contract over one
 * reconnecting connection. Transport-neutral (Node and browser transports plug in). No imports
 * but relative ones.
 * @module
 */
import { MessageError, WebSocketClosedError } from '../../errors';
import type {
  ClientData, ClientEventType, ClientReply, ClientRequestType, ClientStreamType, ContractDefinition, ErrorCode,
  MessageSpec, Schema, ServerDataReceived, ServerEventType, ServerReplyInput, ServerRequestType,
} from '../contract';
import { readEnvelope, writeCancel, writeErrorReply, writeEvent, writeRequest, writeSystemError, type Id, type WireError } from '../envelope';
import { PendingCalls } from '../pending-calls';
import { AuthRefresh } from './auth-refresh';
import { ItemQueue } from './item-queue';
import { Link } from './link';
import { Outbox } from './outbox';
import type { ClientHandlerContext, ClientState, ResolvedClientOptions, TypedCallOptions, TypedStreamOptions } from './options';
import type { ContractError, PayloadArgs } from './client-types';
import { ServerEvents } from './server-events';
import { ServerRequests, type AnyHandler } from './server-requests';
import type { TransportFactory } from './transport';
import { validated } from './validation';

/**
 * A connection that speaks a contract, made by `connect(contract, url, options)`. Every type name
 * and payload is checked against the contract at compile time; replies, stream items and server
 * events are validated against its schemas when they arrive.
 */
export class ContractClient<C extends ContractDefinition> {
  private readonly def: ContractDefinition;
  private readonly serverSpecs: Readonly<Record<string, MessageSpec>>;
  private readonly link: Link;
  /** Calls that reject when their connection drops, and calls with an `idempotencyKey` (sent again). */
  private readonly plain: PendingCalls;
  private readonly durable: PendingCalls;
  private readonly durableFrames = new Map<Id, string>();
  /** Ids count up from 1 across reconnects. */
  private lastId = 0;
  private readonly outbox: Outbox;
  private readonly streams = new Map<Id, { readonly queue: ItemQueue<unknown>; readonly schema: Schema | undefined }>();
  private readonly serverEvents: ServerEvents;
  private readonly requests: ServerRequests;
  private readonly auth: AuthRefresh;
  private openedOnce = false;
  private readonly firstOpen: { promise: Promise<void>; resolve(): void; reject(err: unknown): void };

  /** @internal Use `connect`. */
  constructor(contract: C, url: string, private readonly o: ResolvedClientOptions, factory: TransportFactory) {
    this.def = contract;
    this.serverSpecs = contract.server ?? {};
    const cancel = (id: Id): void => this.cancel(id);
    this.plain = new PendingCalls(cancel);
    this.durable = new PendingCalls(cancel);
    this.requests = new ServerRequests(this.serverSpecs, (text, generation) => {
      if (generation === this.link.currentGeneration) this.outbox.sendOrDrop(text);
    }, o.onError);
    this.serverEvents = new ServerEvents(this.serverSpecs, o.streamBuffer, o.onError, (error) => this.protocolError(error, undefined));
    let resolve!: () => void, reject!: (err: unknown) => void;
    const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    promise.catch(() => undefined);
    this.firstOpen = { promise, resolve, reject };
    this.link = new Link(url, o, factory, {
      onOpen: () => this.opened(),
      onMessage: (text, binary) => this.receive(text, binary),
      onDown: () => this.dropped(),
      onClosed: (err) => this.stopped(err),
    });
    this.outbox = new Outbox(this.link, o.queueMax);
    this.auth = new AuthRefresh({
      getToken: o.getToken,
      generation: () => this.link.currentGeneration,
      request: (token, generation) => this.authRequest(token, generation),
      report: o.onError,
    });
    this.link.start();
  }

  /** @internal Resolves once the first connection is open; rejects when the client stops before. */
  get ready(): Promise<void> {
    return this.firstOpen.promise;
  }

  /** `connecting`, `open`, `reconnecting` or `closed`. */
  get state(): ClientState {
    return this.link.state;
  }

  /**
   * Sends request `type` and resolves with the validated reply. Rejects with `MessageError` (an
   * error reply; `VALIDATION` when the reply fails the contract's schema), `TimeoutError` (and
   * sends `$cancel`), the signal's reason when aborted, or `WebSocketClosedError` when the
   * connection drops first (unless `idempotencyKey` is given: the call is then sent again).
   */
  call<T extends ClientRequestType<C>>(type: T, ...[data, options]: PayloadArgs<ClientData<C, T>, TypedCallOptions>): Promise<ClientReply<C, T>> {
    const refused = this.outbox.refusal(`call "${type}"`);
    if (refused) return Promise.reject(refused);
    if (options?.signal?.aborted) return Promise.reject(options.signal.reason);
    const id = ++this.lastId;
    const key = options?.idempotencyKey;
    const text = writeRequest(type, id, data, key);
    const replySchema = this.def.client[type]?.reply;
    const check = (reply: unknown): unknown => validated(replySchema, reply, `reply to "${type}"`);
    const callOptions = { timeout: options?.timeout ?? this.o.timeout, signal: options?.signal };
    const promise = (key === undefined ? this.plain : this.durable).add(id, type, callOptions, check);
    if (key !== undefined) {
      this.durableFrames.set(id, text);
      const forget = (): void => void this.durableFrames.delete(id);
      promise.then(forget, forget);
    }
    this.outbox.write({ id, text });
    return promise as Promise<ClientReply<C, T>>;
  }

  /** Sends event `type`. While reconnecting it waits in the queue (a `volatile` event is dropped). */
  send<T extends ClientEventType<C>>(type: T, ...[data]: PayloadArgs<ClientData<C, T>, never>): Promise<void> {
    const text = writeEvent(type, data);
    if (this.state === 'open') return this.link.send(text) || Promise.reject(new WebSocketClosedError(`send "${type}": not connected`));
    if (this.state !== 'closed' && this.def.client[type]?.volatile) return Promise.resolve();
    const refused = this.outbox.refusal(`send "${type}"`);
    if (refused) return Promise.reject(refused);
    return new Promise((resolve, reject) => this.outbox.write({ id: undefined, text, done: { resolve, reject } }));
  }

  /** Calls `listener` with each validated server event `type`; returns the function that stops it. */
  on<T extends ServerEventType<C>>(type: T, listener: (data: ServerDataReceived<C, T>) => void): () => void {
    return this.serverEvents.on(type, listener as (data: unknown) => void);
  }

  /** The server events `type` as an async iterator; more than `streamBuffer` unread fails it with `OVERFLOW`. */
  events<T extends ServerEventType<C>>(type: T): AsyncIterableIterator<ServerDataReceived<C, T>> {
    return this.serverEvents.iterate(type, this.state === 'closed') as ItemQueue<ServerDataReceived<C, T>>;
  }

  /** Answers the server's request `type` (its `conn.call`); `ctx.signal` aborts on the server's `$cancel`. */
  handle<T extends ServerRequestType<C>>(
    type: T,
    handler: (data: ServerDataReceived<C, T>, ctx: ClientHandlerContext) => ServerReplyInput<C, T> | Promise<ServerReplyInput<C, T>>,
  ): () => void {
    return this.requests.set(type, handler as AnyHandler);
  }

  /** Sends request `type` and iterates over the validated items of its streamed answer. */
  stream<T extends ClientStreamType<C>>(type: T, ...[data, options]: PayloadArgs<ClientData<C, T>, TypedStreamOptions>): AsyncIterableIterator<ClientReply<C, T>> {
    const id = ++this.lastId;
    const drop = (): void => {
      if (this.streams.delete(id)) this.cancel(id);
    };
    const queue = new ItemQueue<unknown>(this.o.streamBuffer, { onOverflow: drop, onAbandon: drop }, `stream "${type}"`);
    const refused = this.outbox.refusal(`stream "${type}"`) ?? (options?.signal?.aborted ? options.signal.reason : undefined);
    if (refused) {
      queue.fail(refused);
    } else {
      this.streams.set(id, { queue, schema: this.def.client[type]?.reply });
      options?.signal?.addEventListener('abort', () => {
        if (this.streams.get(id)?.queue !== queue) return;
        drop();
        queue.fail(options.signal!.reason);
      }, { once: true });
      this.outbox.write({ id, text: writeRequest(type, id, data) });
    }
    return queue as ItemQueue<ClientReply<C, T>>;
  }

  /** Whether `err` is a `MessageError` (of `code`, when given), typed with this contract's codes and data. */
  isError<K extends ErrorCode<C> = ErrorCode<C>>(err: unknown, code?: K): err is ContractError<C, K> {
    return MessageError.is(err) && (code === undefined || err.code === code);
  }

  /** Stops for good: pending calls reject with `WebSocketClosedError`; resolves once the socket has closed. */
  close(code?: number, reason?: string): Promise<void> {
    return this.link.close(code, reason);
  }

  /** A call or stream given up: never sent if it still waits in the queue, else `$cancel`. */
  private cancel(id: Id): void {
    this.durableFrames.delete(id);
    if (!this.outbox.unqueue(id)) this.outbox.sendOrDrop(writeCancel(id));
  }

  /** `$auth` with a fresh token, on connection `generation` only (a later one opened with its own). */
  private authRequest(token: string, generation: number): Promise<unknown> | undefined {
    if (generation !== this.link.currentGeneration || this.state !== 'open') return undefined;
    const id = ++this.lastId;
    const answer = this.plain.add(id, '$auth', { timeout: this.o.timeout });
    this.outbox.sendOrDrop(writeRequest('$auth', id, { token }));
    return answer;
  }

  private opened(): void {
    if (!this.openedOnce) {
      this.openedOnce = true;
      this.firstOpen.resolve();
    }
    this.outbox.flush();
  }

  private dropped(): void {
    this.auth.stop();
    this.requests.abortAll();
    this.plain.closeAll('the connection dropped before the answer came');
    this.failStreams(() => new WebSocketClosedError('the connection dropped before the stream ended'));
    // Idempotent calls already written go out again, ahead of what was queued since.
    this.outbox.requeueFirst(this.durableFrames);
  }

  private stopped(err: Error | undefined): void {
    if (!this.openedOnce) this.firstOpen.reject(err ?? new WebSocketClosedError('the client was closed before it connected'));
    this.auth.stop();
    this.requests.abortAll();
    const reason = err ? err.message : 'the client was closed';
    this.plain.closeAll(reason);
    this.durable.closeAll(reason);
    this.failStreams(() => new WebSocketClosedError(reason));
    this.outbox.rejectAll(reason);
    this.serverEvents.endAll();
  }

  private failStreams(error: () => Error): void {
    const streams = [...this.streams.values()];
    this.streams.clear();
    for (const { queue } of streams) queue.fail(error());
  }

  /** One incoming frame; true when a reader should run before the next one. */
  private receive(text: string, binary: boolean): boolean {
    if (binary) return this.protocolError({ code: 'BAD_MESSAGE', message: 'binary frames are not part of the contract protocol' }, undefined);
    const env = readEnvelope(text);
    switch (env.kind) {
      case 'reply':
        return this.reply(env.id, env.data, env.more);
      case 'error-reply': {
        const stream = this.streams.get(env.id);
        const err = new MessageError(env.error.code, env.error.message, env.error.data, env.error.issues);
        if (stream) {
          this.streams.delete(env.id);
          stream.queue.fail(err);
        } else if (!this.plain.error(env.id, env.error)) this.durable.error(env.id, env.error);
        return false;
      }
      case 'event':
        return this.serverEvents.receive(env.type, env.data);
      case 'request':
        this.requests.receive(env.type, env.id, env.data, this.link.currentGeneration);
        return false;
      case 'cancel':
        this.requests.cancel(env.id);
        return false;
      case 'auth-expiring':
        this.auth.expiring();
        return false;
      case 'peer-error': {
        const e = (env.error ?? {}) as Partial<WireError>;
        this.o.onError(new MessageError(typeof e.code === 'string' ? e.code : 'BAD_MESSAGE', `the server reported: ${String(e.message ?? '')}`, e.data, e.issues));
        return false;
      }
      case 'bad':
        return this.protocolError({ code: 'BAD_MESSAGE', message: env.message, ...(env.type ? { type: env.type } : {}) }, env.id);
      default: // `ignored`, and `$auth`, which only servers answer
        return false;
    }
  }

  private protocolError(error: WireError, id: Id | undefined): false {
    this.outbox.sendOrDrop(id === undefined ? writeSystemError(error) : writeErrorReply(id, error));
    return false;
  }

  private reply(id: Id, data: unknown, more: boolean | undefined): boolean {
    const stream = this.streams.get(id);
    if (!stream) {
      if (!this.plain.reply(id, data)) this.durable.reply(id, data);
      return false;
    }
    if (more === false) {
      this.streams.delete(id);
      stream.queue.end();
      return false;
    }
    let item: unknown;
    try {
      item = validated(stream.schema, data, 'stream item');
    } catch (err) {
      this.streams.delete(id);
      this.cancel(id);
      stream.queue.fail(err);
      return false;
    }
    const busy = stream.queue.push(item);
    // A plain reply to a stream request: its only item.
    if (more === undefined && this.streams.delete(id)) stream.queue.end();
    return busy;
  }
}
