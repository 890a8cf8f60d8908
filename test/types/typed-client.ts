// Compile-only: the typed client's names and payloads follow the contract.
import { z } from 'zod';
import { connect, defineContract, MessageError, type ContractClient, type ErrorCode } from '../../src/client-entry';

const chat = defineContract({
  client: {
    say: { data: z.object({ text: z.string() }), reply: z.object({ id: z.string() }) },
    typing: { data: z.object({ on: z.boolean() }), volatile: true },
    history: { data: z.object({ before: z.number().optional() }), reply: z.object({ text: z.string() }), stream: true },
    ping: { reply: z.literal('pong') },
  },
  server: {
    message: { data: z.object({ text: z.string() }) },
    confirm: { data: z.object({ question: z.string() }), reply: z.boolean() },
  },
  errors: { RATE_LIMITED: z.object({ retryAfterMs: z.number() }) },
});

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(_: T): void {}

export async function typedClient(): Promise<void> {
  const c: ContractClient<typeof chat> = await connect(chat, 'ws://127.0.0.1:1/chat', { reconnect: true, getToken: () => 't' });

  const reply = await c.call('say', { text: 'hi' }, { timeout: 5000, idempotencyKey: 'k' });
  assertType<Equal<typeof reply, { id: string }>>(true);
  const pong = await c.call('ping');
  assertType<Equal<typeof pong, 'pong'>>(true);

  // @ts-expect-error wrong payload
  await c.call('say', { text: 1 });
  // @ts-expect-error payload missing
  await c.call('say');
  // @ts-expect-error unknown type
  await c.call('shout', { text: 'hi' });
  // @ts-expect-error an event is not a request
  await c.call('typing', { on: true });
  // @ts-expect-error a stream is not a plain call
  await c.call('history', {});

  await c.send('typing', { on: true });
  // @ts-expect-error a request is not an event
  await c.send('say', { text: 'hi' });
  // @ts-expect-error wrong event payload
  await c.send('typing', { on: 'yes' });

  c.on('message', (m) => {
    assertType<Equal<typeof m, { text: string }>>(true);
  });
  // @ts-expect-error a server request is not an event
  c.on('confirm', () => undefined);
  for await (const m of c.events('message')) assertType<Equal<typeof m, { text: string }>>(true);

  c.handle('confirm', async ({ question }, ctx) => {
    ctx.signal.throwIfAborted();
    return question.length > 0;
  });
  // @ts-expect-error wrong handle return
  c.handle('confirm', async () => 'yes');
  // @ts-expect-error an event cannot be handled as a request
  c.handle('message', () => true);

  for await (const item of c.stream('history', {})) assertType<Equal<typeof item, { text: string }>>(true);
  // @ts-expect-error a plain request is not a stream
  c.stream('say', { text: 'x' });

  try {
    await c.call('say', { text: 'x' });
  } catch (err) {
    if (c.isError(err, 'RATE_LIMITED')) {
      assertType<Equal<typeof err.code, 'RATE_LIMITED'>>(true);
      const ms: number | undefined = err.data?.retryAfterMs;
      void ms;
    }
    if (c.isError(err)) assertType<Equal<typeof err.code, ErrorCode<typeof chat>>>(true);
    // @ts-expect-error not a code of this contract
    c.isError(err, 'NOPE');
    if (MessageError.is(err)) void err.code;
  }
  await c.close();
}
