/**
 * A hand-written server that speaks the contract wire format with `ws` directly (no wsgate server
 * code): the typed client's tests script each frame it answers.
 */
import type { IncomingMessage } from 'node:http';
import { once } from 'node:events';
import { WebSocket, WebSocketServer } from 'ws';
import { readEnvelope, type Envelope } from '../../src/protocol/envelope';
import { onCleanup } from './cleanup';

/** One frame the client sent: as text and read. */
export interface Received {
  readonly text: string;
  readonly env: Envelope;
  readonly raw: Record<string, unknown>;
}

export class PeerSocket {
  private readonly inbox: Received[] = [];
  private wake: (() => void) | undefined;
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(
    readonly ws: WebSocket,
    readonly request: IncomingMessage,
  ) {
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      this.inbox.push({ text, env: readEnvelope(text), raw: JSON.parse(text) as Record<string, unknown> });
      this.wake?.();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => {
      this.wake?.();
      resolve({ code, reason: reason.toString() });
    }));
  }

  /** The next frame the client sent (rejects if the socket closes first). */
  async next(): Promise<Received> {
    while (this.inbox.length === 0) {
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error('the client closed before sending another frame');
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    return this.inbox.shift()!;
  }

  send(text: string): void {
    this.ws.send(text);
  }

  close(code?: number, reason?: string): void {
    this.ws.close(code, reason);
  }
}

export class ContractPeer {
  private readonly sockets: PeerSocket[] = [];
  private readonly waiting: PeerSocket[] = [];
  private wake: (() => void) | undefined;
  /** Connections accepted so far. */
  accepted = 0;

  private constructor(readonly server: WebSocketServer) {
    server.on('connection', (ws, request) => {
      this.accepted++;
      const socket = new PeerSocket(ws, request);
      this.sockets.push(socket);
      this.waiting.push(socket);
      this.wake?.();
    });
  }

  /** Listens on 127.0.0.1 (`port` 0: any free port); closed after the test. */
  static async start(port = 0): Promise<ContractPeer> {
    const server = new WebSocketServer({ host: '127.0.0.1', port });
    await once(server, 'listening');
    const peer = new ContractPeer(server);
    onCleanup(() => peer.stop());
    return peer;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/chat`;
  }

  /** The next connection accepted. */
  async connection(): Promise<PeerSocket> {
    while (this.waiting.length === 0) await new Promise<void>((resolve) => (this.wake = resolve));
    return this.waiting.shift()!;
  }

  /** Cuts every connection (no close frame) and stops listening; the port is free once it resolves. */
  async stop(): Promise<void> {
    for (const s of this.sockets) s.ws.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
