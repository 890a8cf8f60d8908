/**
 * A bounded queue read as an async iterator: the items of a `stream` or the events of an
 * `events(type)` iterator. An item may be a promise (an async schema's result): items are still
 * handed out in arrival order. No imports but relative ones.
 * @module
 */
import { MessageError } from '../../errors';

interface Waiter<T> {
  resolve(result: IteratorResult<T>): void;
  reject(err: unknown): void;
}

export interface ItemQueueHooks {
  /** More than `max` unread items: the producer must stop (the iteration then fails with OVERFLOW). */
  onOverflow(): void;
  /** The reader left early (`break`, `return()`) or an item failed: the producer is no longer wanted. */
  onAbandon(): void;
}

export class ItemQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: unknown[] = [];
  private readonly waiters: Array<Waiter<T>> = [];
  private ended = false;
  private error: { err: unknown } | undefined;
  /** The reader saw the end, an error, or left: nothing more is kept. */
  private done = false;

  constructor(
    private readonly max: number,
    private readonly hooks: ItemQueueHooks,
    private readonly what: string,
  ) {}

  /** Unread items. */
  get size(): number {
    return this.items.length;
  }

  /** Whether the producer may still push (neither ended nor failed nor abandoned). */
  get isOpen(): boolean {
    return !this.ended && !this.done;
  }

  /** Adds an item; true when unread items are waiting (a reader should get to run). */
  push(item: T | Promise<T>): boolean {
    if (!this.isOpen) return false;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.deliver(item, waiter);
      return false;
    }
    if (this.items.length >= this.max) {
      this.hooks.onOverflow();
      this.fail(new MessageError('OVERFLOW', `${this.what}: more than ${this.max} unread items`));
      return true;
    }
    this.items.push(item);
    return true;
  }

  /** The producer is done: the reader gets the kept items, then the end. */
  end(): void {
    if (!this.isOpen) return;
    this.ended = true;
    if (this.items.length === 0) this.settleWaiters();
  }

  /** The iteration fails with `err` once the kept items have been read. */
  fail(err: unknown): void {
    if (!this.isOpen) return;
    this.ended = true;
    this.error = { err };
    if (this.items.length === 0) this.settleWaiters();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) {
      const item = this.items.shift();
      return new Promise((resolve, reject) => this.deliver(item as T | Promise<T>, { resolve, reject }));
    }
    if (this.ended || this.done) return this.finalResult();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    if (!this.done) {
      const wasOpen = this.isOpen;
      this.done = true;
      this.items.length = 0;
      this.settleWaiters();
      if (wasOpen) this.hooks.onAbandon();
    }
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private deliver(item: T | Promise<T>, waiter: Waiter<T>): void {
    if (!(item instanceof Promise)) return waiter.resolve({ done: false, value: item });
    item.then(
      (value) => waiter.resolve({ done: false, value }),
      (err) => {
        // An item that failed validation ends the iteration: the producer is cancelled.
        const wasOpen = this.isOpen;
        this.done = true;
        this.items.length = 0;
        this.settleWaiters();
        if (wasOpen) this.hooks.onAbandon();
        waiter.reject(err);
      },
    );
  }

  private finalResult(): Promise<IteratorResult<T>> {
    this.done = true;
    if (this.error) {
      const { err } = this.error;
      this.error = undefined;
      return Promise.reject(err);
    }
    return Promise.resolve({ done: true, value: undefined });
  }

  private settleWaiters(): void {
    for (const waiter of this.waiters.splice(0)) this.finalResult().then(waiter.resolve, waiter.reject);
  }
}
