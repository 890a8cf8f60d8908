/**
 * The one way out for the typed client's messages: written at once on an open connection, else
 * queued (bounded) until the next one opens. No imports but relative ones.
 * @module
 */
import { WebSocketClosedError } from '../../errors';
import type { Id } from '../envelope';
import type { Link } from './link';

/** A message waiting for the connection. */
export interface Outgoing {
  /** The request id, for calls and streams (a call given up before it went out is removed). */
  readonly id: Id | undefined;
  readonly text: string;
  /** Events: settled when written, or when the client closes first. */
  readonly done?: { resolve(): void; reject(err: unknown): void };
}

export class Outbox {
  private readonly queue: Outgoing[] = [];

  constructor(
    private readonly link: Link,
    private readonly max: number,
  ) {}

  /** Why a new message cannot be sent or queued now, if it cannot. */
  refusal(what: string): Error | undefined {
    if (this.link.state === 'closed') return new WebSocketClosedError(`${what}: the client is closed`);
    if (this.link.state !== 'open' && this.queue.length >= this.max) {
      return new WebSocketClosedError(`${what}: not connected, and ${this.max} messages already wait`);
    }
    return undefined;
  }

  /** Writes now, or queues until the connection opens (the caller checked `refusal`). */
  write(entry: Outgoing): void {
    const sent = this.link.send(entry.text);
    if (!sent) return void this.queue.push(entry);
    if (entry.done) sent.then(entry.done.resolve, entry.done.reject);
    else sent.catch(() => undefined); // a call whose frame was lost hears of it through the drop
  }

  /** Writes if the connection is open; otherwise it is not needed any more (a reply, a `$cancel`, a `$error`). */
  sendOrDrop(text: string): void {
    const sent = this.link.send(text);
    if (sent) sent.catch(() => undefined);
  }

  /** Removes the queued request `id`; false when it is not queued (it went out). */
  unqueue(id: Id): boolean {
    const index = this.queue.findIndex((e) => e.id === id);
    if (index === -1) return false;
    this.queue.splice(index, 1);
    return true;
  }

  /** The connection opened: everything queued goes out in order. */
  flush(): void {
    for (const entry of this.queue.splice(0)) this.write(entry);
  }

  /** Requests to send again after a reconnect, ahead of what was queued meanwhile (unless already queued). */
  requeueFirst(entries: Iterable<[Id, string]>): void {
    const queued = new Set(this.queue.map((e) => e.id));
    const again = [...entries].filter(([id]) => !queued.has(id)).map(([id, text]) => ({ id, text }));
    this.queue.unshift(...again);
  }

  /** The client stopped: queued events reject (queued calls are rejected by their pending entry). */
  rejectAll(reason: string): void {
    for (const entry of this.queue.splice(0)) entry.done?.reject(new WebSocketClosedError(reason));
  }
}
