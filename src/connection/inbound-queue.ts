/**
 * The client's read side: messages wait here, in arrival order, until `readMessage` takes them or
 * the `onMessage` callback is free. Bounded: at `maxQueued` waiting messages the socket is paused
 * (TCP backpressure reaches the server) and it reads again once half of them are gone.
 * @module
 */
import type { WebSocket } from 'ws';
import type { IncomingMessage } from '../types';

type Reader = (message: IncomingMessage | null) => void;
type Callback = (message: IncomingMessage | null) => unknown;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

export interface MessageQueueOptions {
  /** Waiting messages at which the socket is paused. */
  maxQueued: number;
  /** Callback style: messages are pushed to it instead of waiting for `read()`. */
  onMessage?: Callback;
  /** The callback threw or its promise rejected (`final`: it was the closing `null` call). */
  onCallbackError: (err: unknown, final: boolean) => void;
}

export class MessageQueue {
  private readonly items: IncomingMessage[] = [];
  /** Pending `read()` calls; only non-empty while `items` is empty. */
  private readonly readers: Reader[] = [];
  private ws: WebSocket | undefined;
  private paused = false;
  /** Our close() was called: read whatever comes so the close frame is seen, keep at most `maxQueued`. */
  private closing = false;
  private ended = false;
  /** Callback style: a callback's promise has not settled yet. */
  private busy = false;
  /** Callback style: the callback failed and gets no more messages (only the final `null`). */
  private stopped = false;
  private nullDelivered = false;
  private readonly lowWater: number;
  private readonly afterCallback = (): void => {
    this.busy = false;
    this.drain();
  };
  private readonly callbackFailed = (err: unknown): void => this.fail(err);

  constructor(private readonly options: MessageQueueOptions) {
    this.lowWater = Math.floor(options.maxQueued / 2);
  }

  /** Messages waiting to be read. */
  get size(): number {
    return this.items.length;
  }

  /** The socket to pause and resume. */
  attach(ws: WebSocket): void {
    this.ws = ws;
  }

  /** A message arrived from the socket. */
  push(message: IncomingMessage): void {
    if (this.ended) return;
    const reader = this.readers.shift();
    if (reader) return reader(message);
    if (this.options.onMessage) {
      if (this.stopped) return;
      if (!this.busy) return this.deliver(message);
    }
    // After close() the app has said it is done: beyond the bound, late messages are dropped
    // rather than letting a peer that keeps sending grow memory until the close timeout.
    if (this.closing && this.items.length >= this.options.maxQueued) return;
    this.items.push(message);
    if (!this.paused && !this.closing && this.items.length >= this.options.maxQueued) {
      this.paused = true;
      this.ws?.pause(); // ws still emits the rest of the chunk in hand, so the bound is soft by one read
    }
  }

  /** The next message in arrival order; `null` once the connection has ended and the queue is empty. */
  read(): Promise<IncomingMessage | null> {
    if (this.items.length > 0) {
      const message = this.items.shift()!;
      this.resumeIfDrained();
      return Promise.resolve(message);
    }
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => this.readers.push(resolve));
  }

  /** Our close() was called: paused reading resumes so the peer's close frame can be read (docs/ws-quirks.md#pausing-a-socket-stops-everything). */
  closingStarted(): void {
    this.closing = true;
    if (this.paused) this.resume();
  }

  /** The socket has closed: waiting readers get `null`; queued messages stay readable. */
  end(): void {
    this.ended = true;
    this.paused = false;
    for (const reader of this.readers.splice(0)) reader(null);
    if (this.options.onMessage) this.drain();
  }

  private resumeIfDrained(): void {
    if (this.paused && this.items.length <= this.lowWater) this.resume();
  }

  private resume(): void {
    this.paused = false;
    this.ws?.resume();
  }

  /** Callback style: delivers waiting messages (then the final `null`) until the callback is busy. */
  private drain(): void {
    while (!this.busy && this.items.length > 0) {
      const message = this.items.shift()!;
      this.resumeIfDrained();
      this.deliver(message);
    }
    if (!this.busy && this.ended && !this.nullDelivered) {
      this.nullDelivered = true;
      this.deliver(null);
    }
  }

  private deliver(message: IncomingMessage | null): void {
    let result: unknown;
    try {
      result = this.options.onMessage!(message);
    } catch (err) {
      return this.fail(err);
    }
    if (!isThenable(result)) return;
    this.busy = true;
    result.then(this.afterCallback, this.callbackFailed);
  }

  private fail(err: unknown): void {
    const final = this.nullDelivered;
    this.busy = false;
    this.stopped = true;
    this.items.length = 0;
    this.resumeIfDrained();
    this.options.onCallbackError(err, final);
    if (this.ended) this.drain();
  }
}
