/**
 * Inbound flow control, the same for both ends: messages that arrive while their consumer (the
 * server's handler, the client's reader) is busy wait here in arrival order. Bounded: at
 * `maxQueued` waiting messages the socket is paused, so TCP backpressure reaches the sender, and
 * it reads again once half of them are gone. Once our side has called `close()`, reading resumes
 * (the peer's close frame must be read) and every message that still arrives is read and
 * discarded: nothing new is delivered after close(), so nothing is kept. The rules are in
 * docs/architecture.md#flow-control.
 * @module
 */

/** What the queue pauses and resumes: a ws.WebSocket. */
export interface Pausable {
  pause(): void;
  resume(): void;
}

export class InboundQueue<T> {
  private items: T[] = [];
  private head = 0;
  private socket: Pausable | undefined;
  private paused = false;
  private pausable = true;
  private discarding = false;
  /**
   * Resume at half the bound, not at empty: the consumer still has work while the socket refills,
   * and a sender hovering at the bound does not make the socket stop and start on every message.
   */
  private readonly resumeAt: number;

  constructor(private readonly maxQueued: number) {
    this.resumeAt = Math.floor(maxQueued / 2);
  }

  /** The bound: waiting messages at which the socket is paused. */
  get bound(): number {
    return this.maxQueued;
  }

  /** Whether the socket may be paused at the bound (see `setPausable`). */
  get isPausable(): boolean {
    return this.pausable;
  }

  /**
   * `false` while this side awaits an answer from the peer (a paused socket would not read it):
   * a paused socket resumes, and the consumer must refuse what goes beyond the bound itself.
   */
  setPausable(pausable: boolean): void {
    this.pausable = pausable;
    if (!pausable && this.paused) this.resume();
  }

  /** Messages waiting. */
  get size(): number {
    return this.items.length - this.head;
  }

  /** Whether arrivals are being discarded (our side has started closing). */
  get isDiscarding(): boolean {
    return this.discarding;
  }

  /** The socket to pause and resume. */
  attach(socket: Pausable): void {
    this.socket = socket;
  }

  /** Queues a message that its consumer cannot take yet; drops it once our side is closing. */
  push(message: T): void {
    if (this.discarding) return;
    this.items.push(message);
    if (!this.paused && this.pausable && this.size >= this.maxQueued) {
      this.paused = true;
      this.socket?.pause(); // ws still emits the rest of the chunk in hand, so the bound is soft by one read
    }
  }

  /** The oldest waiting message, or `undefined`; reading resumes once half the bound is free. */
  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const message = this.items[this.head];
    this.items[this.head++] = undefined as T; // let it be collected while the rest waits
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    if (this.paused && this.size <= this.resumeAt) this.resume();
    return message;
  }

  /** Drops every waiting message (the consumer will take none of them). */
  clear(): void {
    this.items = [];
    this.head = 0;
    if (this.paused) this.resume();
  }

  /**
   * Graceful drain: drops what waits and stops reading until our close() (`startDiscarding`)
   * resumes it, so the handlers already running finish while nothing new comes in.
   */
  stopReading(): void {
    this.items = [];
    this.head = 0;
    if (this.paused) return;
    this.paused = true;
    this.socket?.pause();
  }

  /**
   * Our side called close(): reading resumes whatever the queue holds (a paused socket would not
   * read the peer's close frame, and close() would wait for the close timeout), and from now on
   * arrivals are read and discarded. Messages already waiting stay for the consumer to decide.
   */
  startDiscarding(): void {
    this.discarding = true;
    if (this.paused) this.resume();
  }

  private resume(): void {
    this.paused = false;
    this.socket?.resume();
  }
}
