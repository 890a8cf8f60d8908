/** Slow and hand-driven TCP clients for handshake abuse tests. */
import { once } from 'node:events';
import { connect as tcpConnect, type Socket } from 'node:net';
import { onCleanup } from './cleanup';

/** A TCP socket that records what the server sends and when the server ended it. */
export function openSocket(port: number): { socket: Socket; received: () => string; ended: Promise<void> } {
  const socket = tcpConnect(port, '127.0.0.1');
  onCleanup(() => socket.destroy());
  let raw = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (raw += chunk));
  socket.on('error', () => undefined);
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, received: () => raw, ended };
}

/**
 * Slowloris: sends the request line, then one byte of an endless header every `everyMs`, until
 * the server cuts the connection or `maxBytes` have been sent (then the test fails).
 */
export async function trickle(port: number, everyMs: number, maxBytes: number, path = '/echo'): Promise<{ received: string; sent: number; elapsedMs: number }> {
  const { socket, received, ended } = openSocket(port);
  await once(socket, 'connect');
  const started = Date.now();
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Slow: `);
  let sent = 0;
  let cut = false;
  void ended.then(() => (cut = true));
  while (!cut && sent < maxBytes) {
    await new Promise((resolve) => setTimeout(resolve, everyMs));
    if (!cut) socket.write('a', () => undefined);
    sent++;
  }
  if (!cut) throw new Error(`still connected after ${sent} bytes trickled over ${Date.now() - started} ms`);
  return { received: received(), sent, elapsedMs: Date.now() - started };
}
