/**
 * Contracts shared by the contract tests (schemas only; each test declares its own gateway), and a
 * raw JSON client: the `ws` package sending and reading envelopes as any foreign client would.
 */
import { once } from 'node:events';
import * as v from 'valibot';
import { WebSocket } from 'ws';
import { z } from 'zod';
import { defineContract } from '../../src/contract';
import { onCleanup } from '../helpers/cleanup';

export const chat = defineContract({
  client: {
    say: { data: z.object({ text: z.string().min(1).max(2000) }), reply: z.object({ id: z.string() }) },
    typing: { data: z.object({ on: z.boolean() }), volatile: true },
    ping: {},
    history: { data: z.object({ before: z.number().optional() }), reply: z.object({ n: z.number() }), stream: true },
  },
  server: {
    message: { data: z.object({ text: z.string() }) },
    confirm: { data: z.object({ question: z.string() }), reply: z.boolean() },
  },
  errors: { RATE_LIMITED: z.object({ retryAfterMs: z.number() }) },
});

/** The same shapes in valibot: the second Standard Schema vendor. */
export const shapes = defineContract({
  client: {
    point: { data: v.object({ x: v.number(), y: v.number(), tags: v.array(v.string()) }), reply: v.number() },
  },
});

export type Json = Record<string, unknown>;

/** A `ws` client that speaks the wire format by hand. */
export class JsonPeer {
  readonly received: Json[] = [];
  private waiters: Array<() => void> = [];
  closed: { code: number; reason: string } | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, binary: boolean) => {
      this.received.push(binary ? { binary: true } : (JSON.parse(data.toString()) as Json));
      this.wake();
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
  }

  static async open(url: string, protocols: string[] = ['wsgate.v1'], headers?: Record<string, string>): Promise<JsonPeer> {
    const ws = new WebSocket(url, protocols, { headers });
    onCleanup(() => ws.terminate());
    const peer = new JsonPeer(ws); // listening before 'open': the server's first frames may come with its 101
    await once(ws, 'open');
    return peer;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Waits for the first received message matching `predicate` (fails when the socket closes first). */
  async next(predicate: (m: Json) => boolean, what = 'a message'): Promise<Json> {
    for (;;) {
      const found = this.received.find(predicate);
      if (found) return found;
      if (this.closed) throw new Error(`closed (${this.closed.code} ${this.closed.reason}) before ${what}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** The answer (reply or error reply) to request `id`. */
  answer(id: unknown): Promise<Json> {
    return this.next((m) => m.id === id && m.type === undefined && ('data' in m || 'error' in m) && m.more === undefined, `the answer to ${String(id)}`);
  }

  async request(type: string, data: unknown, id: unknown): Promise<Json> {
    this.send({ type, id, data });
    return this.answer(id);
  }

  async closedWith(): Promise<{ code: number; reason: string }> {
    while (!this.closed) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.closed;
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
