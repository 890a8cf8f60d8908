/**
 * HTTP/1.1 by hand, for tests: hand-written upgrade requests, and the one parser of request and
 * response heads (status line, header lines) that every test and helper uses.
 */
import { once } from 'node:events';
import { connect as tcpConnect, type Socket } from 'node:net';
import { onCleanup } from './cleanup';

export interface Head {
  /** The request line or the status line, as written. */
  startLine: string;
  /** Header names lower-cased, values trimmed. */
  headers: Record<string, string>;
}

/**
 * Parses a request or response head (the text before the blank line, or including it). Strict: a
 * header line without a colon, an empty name or a name given twice throws, since a test should
 * not pass by reading a malformed head as a well-formed one.
 */
export function parseHead(text: string): Head {
  const end = text.indexOf('\r\n\r\n');
  const [startLine, ...lines] = (end === -1 ? text : text.slice(0, end)).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    const name = line.slice(0, i).trim().toLowerCase();
    if (i <= 0 || name === '') throw new Error(`malformed header line ${JSON.stringify(line)}`);
    if (Object.hasOwn(headers, name)) throw new Error(`header ${name} given twice`);
    headers[name] = line.slice(i + 1).trim();
  }
  return { startLine, headers };
}

/** The status code of an HTTP/1.1 status line; throws for anything else. */
export function statusOf(statusLine: string): number {
  const match = /^HTTP\/1\.1 (\d{3})(?: |$)/.exec(statusLine);
  if (!match) throw new Error(`not an HTTP/1.1 status line: ${JSON.stringify(statusLine)}`);
  return Number(match[1]);
}

/**
 * Reads a socket up to the end of an HTTP head; returns it parsed, with the bytes that came after
 * it in the same chunks (e.g. the first WebSocket frames after a 101).
 */
export async function readHead(socket: Socket): Promise<Head & { rest: Buffer }> {
  let bytes = Buffer.alloc(0);
  while (!bytes.includes('\r\n\r\n')) {
    const [chunk] = (await once(socket, 'data')) as [Buffer | string];
    bytes = Buffer.concat([bytes, typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk]);
  }
  const end = bytes.indexOf('\r\n\r\n') + 4;
  return { ...parseHead(bytes.subarray(0, end).toString('latin1')), rest: bytes.subarray(end) };
}

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
      const { startLine, headers: parsed } = parseHead(raw);
      return { status: statusOf(startLine), headers: parsed, body: raw.slice(raw.indexOf('\r\n\r\n') + 4) };
    };
    const settle = (): void => {
      try {
        resolve(parse());
      } catch (err) {
        reject(err as Error);
      }
    };
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      raw += chunk;
      if (raw.startsWith('HTTP/1.1 101') && raw.includes('\r\n\r\n')) {
        socket.destroy();
        settle();
      }
    });
    socket.on('error', reject);
    socket.on('close', () => (raw.includes('\r\n\r\n') ? settle() : reject(new Error(`connection closed after ${JSON.stringify(raw)}`))));
  });
}
