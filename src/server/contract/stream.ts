/**
 * A stream handler's items on the wire: each item is sent once the previous one was flushed, so a
 * client that stops reading pauses the generator (TCP backpressure) and the server's memory stays
 * bounded; then the end marker. A cancelled request or a closed connection stops the generator
 * (`return()` runs its `finally`). An event naming a stream type runs the generator and sends nothing.
 * @module
 */
import { writeStreamEnd, writeStreamItem } from '../../protocol/envelope';
import { runSchema } from '../../protocol/validate';
import type { Work } from './work';

interface StreamConnection {
  readonly isOpen: boolean;
  writeMessage(message: string): Promise<void>;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === 'function';
}

export async function runStream(conn: StreamConnection, work: Work, result: unknown, validateOutgoing: boolean): Promise<void> {
  if (!isAsyncIterable(result)) throw new TypeError(`${work.spec.label}: a stream handler must be an async generator (async *)`);
  const items = result[Symbol.asyncIterator]();
  const id = work.id;
  let done = false;
  try {
    for (;;) {
      const next = await items.next();
      if (next.done) {
        done = true;
        break;
      }
      if (work.cancelled || !conn.isOpen) break;
      if (id === undefined) continue;
      if (validateOutgoing && work.spec.reply) {
        const checked = await runSchema(work.spec.reply, next.value);
        if (checked.issues) throw new Error(`${work.spec.label} yielded an item its reply schema refuses: ${JSON.stringify(checked.issues.slice(0, 3))}`);
      }
      // A cancelled stream stops at once, not after a flush that a paused client may never allow.
      await Promise.race([conn.writeMessage(writeStreamItem(id, next.value)), work.whenCancelled()]);
      if (work.cancelled) break;
    }
  } finally {
    if (!done) await items.return?.();
  }
  if (id !== undefined && !work.cancelled && conn.isOpen) await conn.writeMessage(writeStreamEnd(id));
}
