import { connect as tcpConnect } from 'node:net';
import { onCleanup } from './cleanup';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A valid set of upgrade headers; override or remove (value undefined) any of them. */
export function upgradeHeaders(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    Host: 'localhost',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version': '13',
    ...overrides,
  };
}

/**
 * Sends a hand-written HTTP request over TCP and reads the answer: for a 101 it stops after the
 * headers, otherwise it reads until the server closes the connection (so a half-open socket fails the test).
 */
export function rawRequest(port: number, path: string, headers: Record<string, string | undefined>, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, '127.0.0.1');
    onCleanup(() => socket.destroy());
    const lines = [`${method} ${path} HTTP/1.1`];
    for (const [name, value] of Object.entries(headers)) if (value !== undefined) lines.push(`${name}: ${value}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    let raw = '';
    const parse = (): RawResponse => {
      const end = raw.indexOf('\r\n\r\n');
      const [statusLine, ...headerLines] = raw.slice(0, end).split('\r\n');
      const parsed: Record<string, string> = {};
      for (const line of headerLines) {
        const i = line.indexOf(':');
        parsed[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      return { status: Number(statusLine.split(' ')[1]), headers: parsed, body: raw.slice(end + 4) };
    };
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      raw += chunk;
      if (raw.startsWith('HTTP/1.1 101') && raw.includes('\r\n\r\n')) {
        socket.destroy();
        resolve(parse());
      }
    });
    socket.on('error', reject);
    socket.on('close', () => (raw.includes('\r\n\r\n') ? resolve(parse()) : reject(new Error(`connection closed after ${JSON.stringify(raw)}`))));
  });
}
