/**
 * Events the server sends to the typed client (`conn.send` on the server): validated, then handed
 * to `on` listeners and `events` iterators. No imports but relative ones.
 * @module
 */
import { MessageError } from '../../errors';
import type { MessageSpec } from '../contract';
import type { WireError } from '../envelope';
import { ItemQueue } from './item-queue';
import { validated } from './validation';

type Listener = (data: unknown) => unknown;

export class ServerEvents {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly iterators = new Set<ItemQueue<unknown>>();

  /**
   * @param report tells the user of what no caller can receive (an invalid event, a listener that threw).
   * @param complain tells the server (`$error`) of an event it should not have sent.
   */
  constructor(
    private readonly specs: Readonly<Record<string, MessageSpec>>,
    private readonly bufferMax: number,
    private readonly report: (err: unknown) => void,
    private readonly complain: (error: WireError) => void,
  ) {}

  on(type: string, listener: Listener): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    const entry: Listener = (data) => void listener(data);
    set.add(entry);
    return () => void set.delete(entry);
  }

  /** An iterator over events `type`; `ended` gives one that ends at once (the client is closed). */
  iterate(type: string, ended: boolean): ItemQueue<unknown> {
    let off = (): void => undefined;
    const queue = new ItemQueue<unknown>(this.bufferMax, { onOverflow: () => off(), onAbandon: () => off() }, `events("${type}")`);
    if (ended) {
      queue.end();
      return queue;
    }
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    const entry: Listener = (data) => queue.push(data);
    set.add(entry);
    this.iterators.add(queue);
    off = () => {
      set!.delete(entry);
      this.iterators.delete(queue);
    };
    return queue;
  }

  /** The client stopped: iterators end (after their unread events). */
  endAll(): void {
    for (const queue of [...this.iterators]) queue.end();
    this.iterators.clear();
  }

  /** Event `type` arrived; true when an iterator has unread events (its reader should run). */
  receive(type: string, data: unknown): boolean {
    const spec = this.specs[type];
    if (!spec || spec.reply) {
      this.complain({ code: 'UNKNOWN_TYPE', message: `unknown event "${type}"`, type });
      return false;
    }
    const set = this.listeners.get(type);
    if (!set || set.size === 0) return false;
    let value: unknown;
    try {
      value = validated(spec.data, data, `event "${type}"`);
    } catch (err) {
      this.invalid(type, err);
      return false;
    }
    if (!(value instanceof Promise)) return this.emit(set, value);
    value.then((v) => this.emit(set, v), (err) => this.invalid(type, err));
    return false;
  }

  private invalid(type: string, err: unknown): void {
    this.report(err);
    const error: WireError = { code: 'VALIDATION', message: `event "${type}" failed validation`, type };
    if (MessageError.is(err) && err.issues) error.issues = err.issues.map((i) => ({ message: i.message, path: [...i.path] }));
    this.complain(error);
  }

  private emit(set: Set<Listener>, value: unknown): boolean {
    let busy = false;
    for (const listener of [...set]) {
      try {
        if (listener(value) === true) busy = true;
      } catch (err) {
        this.report(err);
      }
    }
    return busy;
  }
}
