import { once } from 'node:events';
import WebSocket, { type ClientOptions } from 'ws';
import { onCleanup } from './cleanup';

/** A ws client (an independent peer) that is terminated after the test. */
export async function connect(url: string, protocols?: string | string[], options?: ClientOptions): Promise<WebSocket> {
  const ws = new WebSocket(url, protocols, options);
  onCleanup(() => ws.terminate());
  await once(ws, 'open');
  return ws;
}

/** Collects every message a client receives, as strings (text) or Buffers (binary). */
export function collect(ws: WebSocket): Array<string | Buffer> {
  const messages: Array<string | Buffer> = [];
  ws.on('message', (data: Buffer, isBinary: boolean) => messages.push(isBinary ? data : data.toString()));
  return messages;
}

export async function nextMessage(ws: WebSocket): Promise<{ data: string | Buffer; isBinary: boolean }> {
  const [data, isBinary] = (await once(ws, 'message')) as [Buffer, boolean];
  return { data: isBinary ? data : data.toString(), isBinary };
}

export async function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  if (ws.readyState === WebSocket.CLOSED) throw new Error('already closed: listen before it closes');
  const [code, reason] = (await once(ws, 'close')) as [number, Buffer];
  return { code, reason: reason.toString() };
}
