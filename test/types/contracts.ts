/**
 * Compile-time tests of contract handlers and of conn.send / conn.call, checked by `tsc -p test/types`
 * (part of `npm test`). Each `@ts-expect-error` fails the build if its line compiles.
 */
import 'reflect-metadata';
import { z } from 'zod';
import { Connection, Gateway, OnMessage, type In, type MessageContext, type Out } from '../../src';
import { defineContract } from '../../src/contract';

const chat = defineContract({
  client: {
    say: { data: z.object({ text: z.string() }), reply: z.object({ id: z.string() }) },
    typing: { data: z.object({ on: z.boolean() }) },
    history: { data: z.object({ before: z.number().optional() }), reply: z.object({ n: z.number() }), stream: true },
    count: { data: z.string().transform((s) => s.length), reply: z.number() },
  },
  server: {
    message: { data: z.object({ text: z.string() }) },
    confirm: { data: z.object({ question: z.string() }), reply: z.boolean() },
  },
});

@Gateway('/types/contract', { contract: chat })
export class ContractSignatures {
  constructor(private readonly conn: Connection<typeof chat>) {}

  @OnMessage(chat, 'say') async say({ text }: In<typeof chat, 'say'>, ctx: MessageContext): Promise<Out<typeof chat, 'say'>> {
    void ctx.signal;
    await this.conn.send('message', { text });
    const ok: boolean = await this.conn.call('confirm', { question: text }, { timeout: 1000 });
    return { id: String(ok) };
  }
  // ctx may be left out; the handler receives the schema's output (a transform's result)
  @OnMessage(chat, 'count') count(n: In<typeof chat, 'count'>): number {
    return n + 1;
  }
  @OnMessage(chat, 'typing') typing({ on }: { on: boolean }): void {
    void on;
  }
  @OnMessage(chat, 'history') async *history(_d: In<typeof chat, 'history'>): AsyncIterable<Out<typeof chat, 'history'>> {
    yield { n: 1 };
  }
}

export class WrongHandlers {
  // @ts-expect-error the parameter disagrees with the contract (text is a string)
  @OnMessage(chat, 'say') wrongParameter(_d: { text: number }): { id: string } {
    return { id: '' };
  }
  // @ts-expect-error the reply disagrees with the contract (id is a string)
  @OnMessage(chat, 'say') wrongReply(): { id: number } {
    return { id: 1 };
  }
  // @ts-expect-error 'shout' is not a client type of the contract
  @OnMessage(chat, 'shout') unknownType(): void {}
  // @ts-expect-error a stream type needs an async generator, not a promise
  @OnMessage(chat, 'history') async notAStream(): Promise<{ n: number }> {
    return { n: 1 };
  }
  // @ts-expect-error the stream yields items of the reply schema
  @OnMessage(chat, 'history') async *wrongItems(): AsyncIterable<{ n: string }> {
    yield { n: '1' };
  }
  // @ts-expect-error a transform's handler gets its output (number), not its input (string)
  @OnMessage(chat, 'count') countAsInput(s: string): number {
    return s.length;
  }
}

export function wrongServerCalls(conn: Connection<typeof chat>): void {
  // @ts-expect-error the event's data disagrees with the contract
  void conn.send('message', { text: 1 });
  // @ts-expect-error 'confirm' is a request: use conn.call
  void conn.send('confirm', { question: 'q' });
  // @ts-expect-error 'message' is an event: it has no answer to wait for
  void conn.call('message', { text: 't' });
  // @ts-expect-error the answer of 'confirm' is a boolean
  const answer: Promise<string> = conn.call('confirm', { question: 'q' });
  void answer;
  const raw = conn as unknown as Connection;
  // @ts-expect-error a connection of a raw gateway has no contract events
  void raw.send('message', { text: 't' });
}
