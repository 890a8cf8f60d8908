/**
 * The typed client against a real contract gateway (createApp): both ends of wsgate together.
 */
import { Connection, createApp, Gateway, MessageError, OnMessage, OnOpen, type In, type MessageContext, type Out } from '../../../src';
import { connect, type ClientState } from '../../../src/client-entry';
import { memoryLogger, startApp } from '../../helpers/app';
import { onCleanup } from '../../helpers/cleanup';
import { rejectionOf } from '../../helpers/client';
import { chat } from './contract';

/** A chat gateway; what its handlers saw is recorded per test. */
function chatGateway() {
  const seen: string[] = [];
  const keys: Array<string | undefined> = [];
  const cancelled: string[] = [];

  @Gateway('/chat', { contract: chat })
  class ChatGateway {
    constructor(readonly conn: Connection<typeof chat>) {}

    @OnOpen() async open(): Promise<void> {
      await this.conn.send('message', { text: 'welcome' });
    }

    @OnMessage(chat, 'say')
    async say({ text }: In<typeof chat, 'say'>, ctx: MessageContext): Promise<Out<typeof chat, 'say'>> {
      seen.push(`say ${text}`);
      keys.push(ctx.idempotencyKey);
      if (text === 'limited') throw new MessageError('RATE_LIMITED', 'slow down', { retryAfterMs: 1500 });
      if (text === 'bad reply') return { id: 42 } as unknown as { id: string };
      if (text === 'ask') return { id: String(await this.conn.call('confirm', { question: 'sure?' })) };
      if (text === 'ask briefly') {
        const err = await this.conn.call('confirm', { question: 'slow' }, { timeout: 30 }).catch((e: Error) => e);
        return { id: (err as Error).name };
      }
      if (text === 'shout') await this.conn.send('message', { text: 'hello all' });
      return { id: `m-${text}` };
    }

    @OnMessage(chat, 'typing') typing({ on }: In<typeof chat, 'typing'>): void {
      seen.push(`typing ${String(on)}`);
    }

    @OnMessage(chat, 'note') note({ n }: In<typeof chat, 'note'>): void {
      seen.push(`note ${n}`);
    }

    @OnMessage(chat, 'count')
    async *count({ n }: In<typeof chat, 'count'>, ctx: MessageContext): AsyncIterable<Out<typeof chat, 'count'>> {
      for (let i = 0; i < n && !ctx.signal.aborted; i++) yield i;
    }

    @OnMessage(chat, 'ping') ping(): Out<typeof chat, 'ping'> {
      return 'pong';
    }
  }
  return { ChatGateway, seen, keys, cancelled };
}

async function setup(options: Parameters<typeof connect>[2] = {}) {
  const g = chatGateway();
  const server = await startApp([g.ChatGateway]);
  const c = await connect(chat, server.url('/chat'), options);
  onCleanup(() => c.close());
  return { ...g, server, c };
}

describe('typed client against a contract gateway', () => {
  test('calls, error replies with typed data, reply validation, events and a server request answered by handle()', async () => {
    const { c, seen } = await setup();
    const events: string[] = [];
    const welcome = new Promise<void>((resolve) => c.on('message', (m) => {
      events.push(m.text);
      resolve();
    }));
    await welcome; // sent from @OnOpen, before any call
    c.handle('confirm', ({ question }) => question === 'sure?');

    expect(await c.call('say', { text: 'hi' })).toEqual({ id: 'm-hi' });
    expect(await c.call('ping')).toBe('pong');
    const limited = await rejectionOf(c.call('say', { text: 'limited' }));
    expect(c.isError(limited, 'RATE_LIMITED') && limited.data).toEqual({ retryAfterMs: 1500 });
    const invalid = await rejectionOf(c.call('say', { text: 'bad reply' }));
    expect(MessageError.is(invalid) && invalid.code).toBe('VALIDATION');
    expect((invalid as MessageError).issues).toEqual([expect.objectContaining({ path: ['id'] })]);
    const rejected = await rejectionOf(c.call('say', { text: 5 } as unknown as { text: string }));
    expect(MessageError.is(rejected) && rejected.code).toBe('VALIDATION');

    expect(await c.call('say', { text: 'ask' })).toEqual({ id: 'true' });
    expect(await c.call('say', { text: 'shout' })).toEqual({ id: 'm-shout' });
    expect(events).toEqual(['welcome', 'hello all']);

    await c.send('note', { n: 1 });
    await c.send('typing', { on: true });
    await c.call('ping'); // handlers run in order: both events were handled before this answer
    expect(seen).toEqual(['say hi', 'say limited', 'say bad reply', 'say ask', 'say shout', 'note 1', 'typing true']);
  });

  test("a server call that times out sends $cancel: the client handler's ctx.signal aborts", async () => {
    const { c } = await setup();
    let aborted!: (reason: unknown) => void;
    const abortedWith = new Promise<unknown>((resolve) => (aborted = resolve));
    c.handle('confirm', (_data, ctx) => new Promise<boolean>((resolve) => ctx.signal.addEventListener('abort', () => {
      aborted(ctx.signal.reason);
      resolve(false);
    })));
    expect(await c.call('say', { text: 'ask briefly' })).toEqual({ id: 'TimeoutError' });
    expect(MessageError.is(await abortedWith) && (await abortedWith as MessageError).code).toBe('CANCELLED');
  });

  test('a stream of 10,000 items arrives in order', async () => {
    const { c } = await setup();
    let expected = 0;
    for await (const n of c.stream('count', { n: 10_000 })) {
      if (n !== expected) throw new Error(`item ${expected} was ${n}`);
      expected++;
    }
    expect(expected).toBe(10_000);
  });

  test('app restarted on the same port: the client reconnects, resends an idempotent call with its key, sends what waited', async () => {
    const states: ClientState[] = [];
    let onState: ((s: ClientState) => void) | undefined;
    const g = chatGateway();
    const first = createApp({ gateways: [g.ChatGateway], logger: memoryLogger() });
    const { port } = await first.listen(0, '127.0.0.1');
    const c = await connect(chat, `ws://127.0.0.1:${port}/chat`, {
      reconnect: { min: 5, max: 20 },
      onStateChange: (s) => {
        states.push(s);
        onState?.(s);
      },
    });
    onCleanup(() => c.close());
    const reached = (state: ClientState) => new Promise<void>((resolve) => (onState = (s) => s === state && resolve()));

    const down = reached('reconnecting');
    await first.close();
    await down;
    const queued = c.call('say', { text: 'queued' }, { idempotencyKey: 'K-1' });
    const up = reached('open');
    const second = createApp({ gateways: [g.ChatGateway], logger: memoryLogger() });
    onCleanup(() => second.close());
    await second.listen(port, '127.0.0.1');
    await up;
    expect(await queued).toEqual({ id: 'm-queued' });
    expect(g.keys).toEqual(['K-1']);
    expect(states).toEqual(['open', 'reconnecting', 'open']);
  });
});
