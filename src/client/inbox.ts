/**
 * The client's read side: messages wait in the shared `InboundQueue` (bound, pause/resume, discard
 * after close()) until `readMessage` takes them or the `onMessage` callback is free.
 * @module
 */
import { isThenable } from '../constants';
import { InboundQueue, type Pausable } from '../connection/inbound-queue';
import { TimeoutError } from '../errors';
import type { IncomingMessage } from '../types';

type Callback = (message: IncomingMessage | null) => unknown;

/** Options of `readMessage`. */
export interface ReadOptions {
  /** Gives up the read when aborted: the promise rejects with the signal's reason and takes no message. */
  signal?: AbortSignal;
  /** Gives up the read after N ms with `TimeoutError`; it takes no message. */
  timeout?: number;
}

/** A `read()` waiting for a message; removed from the list when it gives up. */
interface Reader {
  resolve(message: IncomingMessage | null): void;
  reject(err: unknown): void;
  timer?: NodeJS.Timeout;
  signal?: AbortSignal;
  onAbort?: () => void;
}


export interface MessageQueueOptions {
  /** Waiting messages at which the socket is paused. */
  maxQueued: number;
  /** Callback style: messages are pushed to it instead of waiting for `read()`. */
  onMessage?: Callback;
  /** The callback threw or its promise rejected. */
  onCallbackError: (err: unknown) => void;
}

export class MessageQueue {
  private readonly queue: InboundQueue<IncomingMessage>;
  /** Pending `read()` calls; only non-empty while the queue is empty. */
  private readonly readers: Reader[] = [];
  private ended = false;
  /** Callback style: a callback's promise has not settled yet. */
  private busy = false;
  /** Callback style: the callback failed and gets no more messages (only the final `null`). */
  private stopped = false;
  private nullDelivered = false;
  private readonly afterCallback = (): void => {
    this.busy = false;
    this.drain();
  };
  private readonly callbackFailed = (err: unknown): void => this.fail(err);

  constructor(private readonly options: MessageQueueOptions) {
    this.queue = new InboundQueue(options.maxQueued);
  }

  /** Messages waiting to be read. */
  get size(): number {
    return this.queue.size;
  }

  /** The socket to pause and resume. */
  attach(socket: Pausable): void {
    this.queue.attach(socket);
  }

  /** A message arrived from the socket. */
  push(message: IncomingMessage): void {
    if (this.ended || this.queue.isDiscarding) return;
    const reader = this.readers.shift();
    if (reader) return settle(reader, message);
    if (this.options.onMessage) {
      if (this.stopped) return;
      if (!this.busy) return this.deliver(message);
    }
    this.queue.push(message);
  }

  /**
   * The next message in arrival order; `null` once the connection has ended and the queue is empty.
   * A read that gives up (signal, timeout) takes nothing: the message goes to the next reader.
   */
  read(options?: ReadOptions): Promise<IncomingMessage | null> {
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.queue.size > 0) return Promise.resolve(this.queue.shift()!);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const reader: Reader = { resolve, reject };
      if (options?.timeout !== undefined) {
        const ms = options.timeout;
        reader.timer = setTimeout(() => this.giveUp(reader, new TimeoutError(`readMessage: no message within ${ms} ms`)), ms);
      }
      if (signal) {
        reader.signal = signal;
        reader.onAbort = () => this.giveUp(reader, signal.reason);
        signal.addEventListener('abort', reader.onAbort, { once: true });
      }
      this.readers.push(reader);
    });
  }

  /** Our close() was called: reading resumes and later arrivals are discarded; kept messages stay readable. */
  closingStarted(): void {
    this.queue.startDiscarding();
  }

  /** The socket has closed: waiting readers get `null`; queued messages stay readable. */
  end(): void {
    this.ended = true;
    for (const reader of this.readers.splice(0)) settle(reader, null);
    if (this.options.onMessage) this.drain();
  }

  private giveUp(reader: Reader, reason: unknown): void {
    const index = this.readers.indexOf(reader);
    if (index === -1) return;
    this.readers.splice(index, 1);
    cleanUp(reader);
    reader.reject(reason);
  }

  /** Callback style: delivers waiting messages (then the final `null`) until the callback is busy. */
  private drain(): void {
    while (!this.busy && this.queue.size > 0) this.deliver(this.queue.shift()!);
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
    this.busy = false;
    this.stopped = true;
    this.queue.clear();
    this.options.onCallbackError(err);
    if (this.ended) this.drain();
  }
}

function cleanUp(reader: Reader): void {
  if (reader.timer) clearTimeout(reader.timer);
  if (reader.onAbort) reader.signal!.removeEventListener('abort', reader.onAbort);
}

function settle(reader: Reader, message: IncomingMessage | null): void {
  cleanUp(reader);
  reader.resolve(message);
}
