import { once } from 'node:events';
import WebSocket, { type ClientOptions } from 'ws';
import { onCleanup } from './cleanup';

interface Inbox {
  readonly messages: Array<string | Buffer>;
  readonly binary: boolean[];
  read: number;
  wake?: () => void;
}

// Messages are recorded from the moment the socket exists: a server may send its first frame in
// the same TCP chunk as the 101, before any listener added after `await connect()` could see it.
const inboxes = new WeakMap<WebSocket, Inbox>();

function inboxOf(ws: WebSocket): Inbox {
  const inbox = inboxes.get(ws);
  if (!inbox) throw new Error('not a socket opened with connect()');
  return inbox;
}

/** A ws client (an independent peer) that is terminated after the test. */
export async function connect(url: string, protocols?: string | string[], options?: ClientOptions): Promise<WebSocket> {
  const ws = new WebSocket(url, protocols, options);
  onCleanup(() => ws.terminate());
  const inbox: Inbox = { messages: [], binary: [], read: 0 };
  inboxes.set(ws, inbox);
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    inbox.messages.push(isBinary ? data : data.toString());
    inbox.binary.push(isBinary);
    inbox.wake?.();
  });
  await once(ws, 'open');
  return ws;
}

/** Every message the client has received so far (and will receive): text as strings, binary as Buffers. */
export function collect(ws: WebSocket): Array<string | Buffer> {
  return inboxOf(ws).messages;
}

/** The next message not yet returned by nextMessage. */
export async function nextMessage(ws: WebSocket): Promise<{ data: string | Buffer; isBinary: boolean }> {
  const inbox = inboxOf(ws);
  while (inbox.read >= inbox.messages.length) {
    if (ws.readyState === WebSocket.CLOSED) throw new Error('closed before the next message');
    await new Promise<void>((resolve) => {
      // Remove the close listener once woken: a long conversation must not pile up listeners.
      const wake = (): void => {
        ws.off('close', wake);
        inbox.wake = undefined;
        resolve();
      };
      inbox.wake = wake;
      ws.once('close', wake);
    });
  }
  const i = inbox.read++;
  return { data: inbox.messages[i], isBinary: inbox.binary[i] };
}

export async function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  if (ws.readyState === WebSocket.CLOSED) throw new Error('already closed: listen before it closes');
  const [code, reason] = (await once(ws, 'close')) as [number, Buffer];
  return { code, reason: reason.toString() };
}
