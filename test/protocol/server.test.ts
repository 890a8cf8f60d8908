/**
 * A contract gateway over a real socket, driven by the `ws` package sending raw JSON (a client
 * that is not wsgate's own): every envelope and error code of docs/protocol.md.
 */
import { Connection, Gateway, MessageError, OnClose, OnMessage, WebSocketError, type In, type MessageContext, type Out } from '../../src';
import { startApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { chat, JsonPeer, shapes } from './fixtures';

/** A chat gateway whose handlers record what they saw; fresh for each test. */
function chatGateway(options: { onInvalidMessage?: 'reply' | 'close'; concurrency?: number; validateOutgoing?: boolean } = {}) {
  const seen: string[] = [];
  const gates: Array<() => void> = [];
  const signals: AbortSignal[] = [];
  let closed = 0;

  @Gateway('/chat', { contract: chat, ...options })
  class ChatGateway {
    constructor(readonly conn: Connection<typeof chat>) {}

    @OnMessage(chat, 'say')
    async say({ text }: In<typeof chat, 'say'>, ctx: MessageContext): Promise<Out<typeof chat, 'say'>> {
      seen.push(`say ${text}`);
      if (text === 'boom') throw new Error('handler bug with a secret');
      if (text === 'limited') throw new MessageError('RATE_LIMITED', 'slow down', { retryAfterMs: 1500 });
      if (text === 'bye') throw new WebSocketError(4001, 'go away');
      if (text === 'wait') {
        signals.push(ctx.signal);
        await new Promise<void>((resolve) => {
          gates.push(resolve);
          ctx.signal.addEventListener('abort', () => resolve());
        });
      }
      if (text === 'bad reply') return { id: 42 } as unknown as { id: string };
      return { id: `m-${text}` };
    }

    @OnMessage(chat, 'typing')
    typing({ on }: In<typeof chat, 'typing'>): void {
      seen.push(`typing ${String(on)}`);
    }

    @OnMessage(chat, 'ping')
    ping(): void {
      seen.push('ping');
    }

    @OnMessage(chat, 'history')
    async *history({ before }: In<typeof chat, 'history'>, ctx: MessageContext): AsyncIterable<Out<typeof chat, 'history'>> {
      const count = before ?? 3;
      for (let n = 0; n < count && !ctx.signal.aborted; n++) yield { n };
    }

    @OnClose() onClose(): void {
      closed++;
    }
  }
  return {
    ChatGateway,
    seen,
    signals,
    release: () => gates.splice(0).forEach((g) => g()),
    closed: () => closed,
  };
}

describe('contract gateway: envelopes', () => {
  it('selects wsgate.v1 when offered, and also takes a client that offers none', async () => {
    const { ChatGateway } = chatGateway();
    const { url } = await startApp([ChatGateway]);
    const offered = await JsonPeer.open(url('/chat'));
    expect(offered.ws.protocol).toBe('wsgate.v1');
    const none = await JsonPeer.open(url('/chat'), []);
    expect(none.ws.protocol).toBe('');
    expect(await none.request('say', { text: 'hi' }, 1)).toEqual({ id: 1, data: { id: 'm-hi' } });
  });

  it('request → reply with the same id (integer and string ids); event → nothing; a request to an event type → data null', async () => {
    const { ChatGateway, seen } = chatGateway();
    const { url } = await startApp([ChatGateway]);
    const peer = await JsonPeer.open(url('/chat'));
    expect(await peer.request('say', { text: 'a' }, 7)).toEqual({ id: 7, data: { id: 'm-a' } });
    expect(await peer.request('say', { text: 'b' }, 'req-1')).toEqual({ id: 'req-1', data: { id: 'm-b' } });
    expect(await peer.request('say', { text: 'c' }, 2 ** 53 - 1)).toEqual({ id: 2 ** 53 - 1, data: { id: 'm-c' } });
    peer.send({ type: 'typing', data: { on: true } });
    expect(await peer.request('typing', { on: false }, 8)).toEqual({ id: 8, data: null });
    expect(await peer.request('ping', undefined, 9)).toEqual({ id: 9, data: null });
    expect(seen).toEqual(['say a', 'say b', 'say c', 'typing true', 'typing false', 'ping']);
    expect(peer.received).toHaveLength(5); // the event got no answer
  });

  it('an event naming a request type runs the handler and sends nothing', async () => {
    const { ChatGateway, seen } = chatGateway();
    const { url } = await startApp([ChatGateway]);
    const peer = await JsonPeer.open(url('/chat'));
    peer.send({ type: 'say', data: { text: 'quiet' } });
    expect(await peer.request('ping', undefined, 1)).toEqual({ id: 1, data: null });
    expect(seen).toEqual(['say quiet', 'ping']);
    expect(peer.received).toHaveLength(1);
  });

  it('a stream: items in order with more: true, then more: false', async () => {
    const { ChatGateway } = chatGateway();
    const { url } = await startApp([ChatGateway]);
    const peer = await JsonPeer.open(url('/chat'));
    peer.send({ type: 'history', id: 5, data: { before: 3 } });
    await peer.next((m) => m.id === 5 && m.more === false, 'the end of the stream');
    expect(peer.received).toEqual([
      { id: 5, data: { n: 0 }, more: true },
      { id: 5, data: { n: 1 }, more: true },
      { id: 5, data: { n: 2 }, more: true },
      { id: 5, more: false },
    ]);
  });
});

describe('contract gateway: error codes', () => {
  it.each([
    ['not JSON', '{"type": "say",', { type: '$error', error: { code: 'BAD_MESSAGE', message: 'not JSON' } }],
    ['an array', '[1, 2]', { type: '$error', error: { code: 'BAD_MESSAGE', message: 'not a JSON object' } }],
    ['null', 'null', { type: '$error', error: { code: 'BAD_MESSAGE', message: 'not a JSON object' } }],
    ['neither type nor id', '{"data": 1}', { type: '$error', error: expect.objectContaining({ code: 'BAD_MESSAGE' }) }],
    ['a numeric type with an id', '{"type": 5, "id": 3}', { id: 3, error: { code: 'BAD_MESSAGE', message: '"type" must be a string' } }],
    ['an id above 2^53 − 1', '{"type": "say", "id": 9007199254740993}', { type: '$error', error: expect.objectContaining({ code: 'BAD_MESSAGE', type: 'say' }) }],
    ['a negative id', '{"type": "say", "id": -1}', { type: '$error', error: expect.objectContaining({ code: 'BAD_MESSAGE', type: 'say' }) }],
    ['a fractional id', '{"type": "say", "id": 1.5}', { type: '$error', error: expect.objectContaining({ code: 'BAD_MESSAGE', type: 'say' }) }],
    ['an empty string id', '{"type": "say", "id": ""}', { type: '$error', error: expect.objectContaining({ code: 'BAD_MESSAGE', type: 'say' }) }],
    ['a 65-character id', `{"type": "say", "id": "${'x'.repeat(65)}"}`, { type: '$error', error: expect.objectContaining({ code: 'BAD_MESSAGE', type: 'say' }) }],
    ['an unknown type (request)', '{"type": "shout", "id": 4, "data": {}}', { id: 4, error: { code: 'UNKNOWN_TYPE', message: 'unknown message type "shout"' } }],
    ['an unknown type (event)', '{"type": "shout"}', { type: '$error', error: { code: 'UNKNOWN_TYPE', message: 'unknown message type "shout"', type: 'shout' } }],
  ])('%s is answered and the connection stays usable', async (_name, raw, expected) => {
    const { ChatGateway } = chatGateway();
    const { url, logger } = await startApp([ChatGateway]);
    const peer = await JsonPeer.open(url('/chat'));
    peer.send(raw);
    expect(await peer.next(() => true)).toEqual(expected);
    expect(await peer.request('say', { text: 'still here' }, 100)).toEqual({ id: 100, data: { id: 'm-still here' } });
    expect(logger.errors).toEqual([]);
  });

  it('VALIDATION carries the issues with their paths (zod)', async () => {
    const { ChatGateway, seen } = chatGateway();
    const { url } = await startApp([ChatGateway]);
    const peer = await JsonPeer.open(url('/chat'));
    const answer = await peer.request('say', { text: '' }, 1);
    expect(answer).toMatchObject({ id: 1, error: { code: 'VALIDATION', issues: [{ path: ['text'] }] } });
    expect(((answer.error as { issues: Array<{ message: string }> }).issues[0].message).length).toBeGreaterThan(0);
    const wrongType = await peer.request('say', { text: 12 }, 2);
    expect(wrongType).toMatchObject({ id: 2, error: { code: 'VALIDATION', issues: [{ path: ['text'] }] } });
    expect(seen).toEqual([]);
  });

  it('VALIDATION with valibot: nested paths with array indexes, at most 20 issues', async () => {
    @Gateway('/shapes', { contract: shapes })
    class ShapesGateway {
      @OnMessage(shapes, 'point') point({ x, y }: In<typeof shapes, 'point'>): Out<typeof shapes, 'point'> {
        return x + y;
      }
    }
    const { url } = await startApp([ShapesGateway]);
    const peer = await JsonPeer.open(url('/shapes'));
    expect(await peer.request('point', { x: 1, y: 2, tags: [] }, 1)).toEqual({ id: 1, data: 3 });
    const bad = await peer.request('point', { x: 1, y: 2, tags: ['a', 7] }, 2);
    expect(bad).toMatchObject({ id: 2, error: { code: 'VALIDATION', issues: [{ path: ['tags', 1] }] } });
    const many = await peer.request('point', { x: 1, y: 2, tags: Array.from({ length: 50 }, (_, i) => i) }, 3);
    expect((many.error as { issues: unknown[] }).issues).toHaveLength(20);
  });

  it('DUPLICATE_ID: a request reusing a pending id gets a $error, never a reply to that id', async () => {
    const { ChatGateway, release } = chatGateway();
    const { url } = await startApp([ChatGateway]);
    const peer = await JsonPeer.open(url('/chat'));
    peer.send({ type: 'say', id: 1, data: { text: 'wait' } });
    peer.send({ type: 'say', id: 1, data: { text: 'again' } });
    expect(await peer.next((m) => m.type === '$error')).toEqual({
      type: '$error',
      error: { code: 'DUPLICATE_ID', message: 'request id 1 is still pending', type: 'say' },
    });
    release();
    expect(await peer.answer(1)).toEqual({ id: 1, data: { id: 'm-wait' } });
    expect(peer.received.filter((m) => m.id === 1)).toHaveLength(1);
  });

  it('INTERNAL: a handler bug answers "Internal error" only, logs the details, and keeps the connection', async () => {
    const { ChatGateway } = chatGateway();
    const { url, logger } = await startApp([ChatGateway]);
    const peer = await JsonPeer.open(url('/chat'));
    expect(await peer.request('say', { text: 'boom' }, 1)).toEqual({ id: 1, error: { code: 'INTERNAL', message: 'Internal error' } });
    expect(logger.errors.join('\n')).toMatch(/ChatGateway\.say \(@OnMessage 'say'\) failed: Error: handler bug with a secret/);
    expect(await peer.request('say', { text: 'ok' }, 2)).toEqual({ id: 2, data: { id: 'm-ok' } });
  });

  it('MessageError: an application error with its code and data', async () => {
    const { ChatGateway } = chatGateway();
    const { url, logger } = await startApp([ChatGateway]);
    const peer = await JsonPeer.open(url('/chat'));
    expect(await peer.request('say', { text: 'limited' }, 1)).toEqual({
      id: 1,
      error: { code: 'RATE_LIMITED', message: 'slow down', data: { retryAfterMs: 1500 } },
    });
    expect(logger.errors).toEqual([]);
  });

  it('a WebSocketError thrown by a contract handler closes with its code', async () => {
    const { ChatGateway, closed } = chatGateway();
    const { url } = await startApp([ChatGateway]);
    const peer = await JsonPeer.open(url('/chat'));
    peer.send({ type: 'say', id: 1, data: { text: 'bye' } });
    expect(await peer.closedWith()).toEqual({ code: 4001, reason: 'go away' });
    await eventually(() => closed() === 1, '@OnClose');
  });

  it("onInvalidMessage: 'close' closes with 1008 on BAD_MESSAGE, UNKNOWN_TYPE and VALIDATION, without an error reply", async () => {
    const { ChatGateway } = chatGateway({ onInvalidMessage: 'close' });
    const { url } = await startApp([ChatGateway]);
    for (const [raw, reason] of [
      ['nope', 'BAD_MESSAGE: not JSON'],
      ['{"type": "shout", "id": 1}', 'UNKNOWN_TYPE: unknown message type "shout"'],
      ['{"type": "say", "id": 1, "data": {"text": ""}}', 'VALIDATION: invalid data for "say"'],
    ]) {
      const peer = await JsonPeer.open(url('/chat'));
      peer.send(raw);
      expect(await peer.closedWith()).toEqual({ code: 1008, reason });
      expect(peer.received).toEqual([]);
    }
  });

  it('validateOutgoing: a reply its schema refuses is logged and answered INTERNAL', async () => {
    const { ChatGateway } = chatGateway({ validateOutgoing: true });
    const { url, logger } = await startApp([ChatGateway]);
    const peer = await JsonPeer.open(url('/chat'));
    expect(await peer.request('say', { text: 'bad reply' }, 1)).toEqual({ id: 1, error: { code: 'INTERNAL', message: 'Internal error' } });
    expect(logger.errors.join('\n')).toMatch(/returned a reply its schema refuses/);
  });

  it('a binary frame on a gateway without a plain @OnMessage is BAD_MESSAGE', async () => {
    const { ChatGateway } = chatGateway();
    const { url } = await startApp([ChatGateway]);
    const peer = await JsonPeer.open(url('/chat'));
    peer.ws.send(Buffer.from([1, 2, 3]));
    expect(await peer.next(() => true)).toEqual({ type: '$error', error: { code: 'BAD_MESSAGE', message: 'binary frames are not part of this protocol' } });
  });
});

describe('contract gateway: order, cancel and close', () => {
  it('one handler at a time, in arrival order: the second request waits for the first', async () => {
    const serial = chatGateway();
    const { url } = await startApp([serial.ChatGateway]);
    const peer = await JsonPeer.open(url('/chat'));
    peer.send({ type: 'say', id: 1, data: { text: 'wait' } });
    peer.send({ type: 'say', id: 2, data: { text: 'second' } });
    await eventually(() => serial.signals.length === 1, 'the first handler');
    serial.release();
    await peer.answer(2);
    expect(peer.received.map((m) => m.id)).toEqual([1, 2]);
    expect(serial.seen).toEqual(['say wait', 'say second']);
  });

  it('concurrency: 2 runs the second while the first waits; answers come in completion order', async () => {
    const parallel = chatGateway({ concurrency: 2 });
    const { url } = await startApp([parallel.ChatGateway]);
    const peer = await JsonPeer.open(url('/chat'));
    peer.send({ type: 'say', id: 1, data: { text: 'wait' } });
    peer.send({ type: 'say', id: 2, data: { text: 'second' } });
    expect(await peer.answer(2)).toEqual({ id: 2, data: { id: 'm-second' } });
    parallel.release();
    await peer.answer(1);
    expect(peer.received.map((m) => m.id)).toEqual([2, 1]);
  });

  it('$cancel aborts the running handler’s signal and nothing is sent for that id; a cancelled queued request never runs', async () => {
    const { ChatGateway, seen, signals } = chatGateway();
    const { url } = await startApp([ChatGateway]);
    const peer = await JsonPeer.open(url('/chat'));
    peer.send({ type: 'say', id: 1, data: { text: 'wait' } });
    peer.send({ type: 'say', id: 2, data: { text: 'queued' } });
    await eventually(() => signals.length === 1, 'the running handler');
    peer.send({ type: '$cancel', id: 2 });
    peer.send({ type: '$cancel', id: 1 });
    peer.send({ type: '$cancel', id: 99 }); // unknown: ignored
    expect(await peer.request('ping', undefined, 3)).toEqual({ id: 3, data: null });
    expect(signals[0].aborted).toBe(true);
    expect(seen).toEqual(['say wait', 'ping']);
    expect(peer.received.filter((m) => m.id === 1 || m.id === 2)).toEqual([]);
  });

  it('ctx.signal aborts when the connection ends, and @OnClose runs once the handler settled', async () => {
    const { ChatGateway, signals, closed } = chatGateway();
    const { url } = await startApp([ChatGateway]);
    const peer = await JsonPeer.open(url('/chat'));
    peer.send({ type: 'say', id: 1, data: { text: 'wait' } });
    await eventually(() => signals.length === 1, 'the running handler');
    peer.ws.terminate();
    await eventually(() => signals[0].aborted, 'the signal to abort');
    await eventually(() => closed() === 1, '@OnClose');
  });
});

describe('contract gateway: validateOutgoing and error data', () => {
  it('error data the contract’s errors schema refuses is logged and answered INTERNAL; valid data goes out as thrown', async () => {
    @Gateway('/errors', { contract: chat, validateOutgoing: true })
    class ErrorDataGateway {
      @OnMessage(chat, 'say') say({ text }: In<typeof chat, 'say'>): Out<typeof chat, 'say'> {
        if (text === 'good') throw new MessageError('RATE_LIMITED', 'slow down', { retryAfterMs: 10 });
        throw new MessageError('RATE_LIMITED', 'slow down', { retryAfterMs: 'soon' });
      }
      @OnMessage(chat, 'typing') typing(): void {}
      @OnMessage(chat, 'ping') ping(): void {}
      @OnMessage(chat, 'history') async *history(): AsyncIterable<Out<typeof chat, 'history'>> {}
    }
    const { url, logger } = await startApp([ErrorDataGateway]);
    const peer = await JsonPeer.open(url('/errors'));
    expect(await peer.request('say', { text: 'good' }, 1)).toEqual({ id: 1, error: { code: 'RATE_LIMITED', message: 'slow down', data: { retryAfterMs: 10 } } });
    expect(logger.errors).toEqual([]);
    expect(await peer.request('say', { text: 'bad' }, 2)).toEqual({ id: 2, error: { code: 'INTERNAL', message: 'Internal error' } });
    expect(logger.errors.join('\n')).toMatch(/ErrorDataGateway\.say \(@OnMessage 'say'\) threw MessageError RATE_LIMITED with data its schema refuses/);
  });
});
