/**
 * A foreign client of the contract wire format: peers/contract_client.py, written with Python's
 * `websockets` from docs/protocol.md alone, against a contract gateway (the `chat` contract).
 * It offers wsgate.v1, then makes a request, an event, VALIDATION and UNKNOWN_TYPE errors, a
 * `$cancel` of a slow request, a stream, answers the server's own request (`conn.call`), and
 * meets the id length rule with non-BMP characters.
 * The script prints one `STEP <json>` line per check; both sides' observations are asserted.
 */
import { Connection, Gateway, OnMessage, type In, type MessageContext, type Out } from '../../src';
import { startApp } from '../helpers/app';
import { chat } from '../protocol/fixtures';
import { killAllPeers, runPeerClient } from './helpers/python';

afterAll(killAllPeers);

type Step = Record<string, unknown>;

function steps(stdout: string): Record<string, Step> {
  const out: Record<string, Step> = {};
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('STEP ')) continue;
    const step = JSON.parse(line.slice('STEP '.length)) as Step;
    out[step.step as string] = step;
  }
  return out;
}

it('a Python websockets client speaks wsgate.v1: request, event, VALIDATION, UNKNOWN_TYPE, $cancel, stream, a server request, id lengths', async () => {
  const server = { typing: [] as boolean[], slowAborted: false, confirmed: [] as boolean[], streamed: [] as number[] };

  @Gateway('/chat', { contract: chat })
  class ContractPeerGateway {
    constructor(readonly conn: Connection<typeof chat>) {}

    @OnMessage(chat, 'say')
    async say({ text }: In<typeof chat, 'say'>, ctx: MessageContext): Promise<Out<typeof chat, 'say'>> {
      if (text === 'slow') {
        await this.conn.send('message', { text: 'slow started' });
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
        server.slowAborted = ctx.signal.aborted;
      }
      if (text === 'confirm') {
        const answer = await this.conn.call('confirm', { question: 'really?' }, { timeout: 10_000 });
        server.confirmed.push(answer);
        return { id: `confirmed-${String(answer)}` };
      }
      return { id: `m-${text}` };
    }

    @OnMessage(chat, 'typing')
    async typing({ on }: In<typeof chat, 'typing'>): Promise<void> {
      server.typing.push(on);
      await this.conn.send('message', { text: `typing ${String(on)}` });
    }

    @OnMessage(chat, 'ping')
    ping(): void {}

    @OnMessage(chat, 'history')
    async *history({ before }: In<typeof chat, 'history'>, ctx: MessageContext): AsyncIterable<Out<typeof chat, 'history'>> {
      for (let n = 0; n < (before ?? 3) && !ctx.signal.aborted; n++) {
        server.streamed.push(n);
        yield { n };
      }
    }
  }

  const { url, logger } = await startApp([ContractPeerGateway]);
  const run = await runPeerClient<{ errors: string[]; closeCode: number }>('contract_client.py', [url('/chat')]);
  expect(run.result.errors).toEqual([]);
  expect(run.result.closeCode).toBe(1000);
  const s = steps(run.stdout);

  expect(s.handshake).toEqual({ step: 'handshake', subprotocol: 'wsgate.v1' });

  expect(s.request).toEqual({
    step: 'request',
    intId: { id: 1, data: { id: 'm-héllo ✓ 😀' } },
    stringId: { id: 'req-2', data: { id: 'm-b' } },
    maxId: { id: 2 ** 53 - 1, data: { id: 'm-c' } },
    noReplyType: { id: 3, data: null },
  });

  expect(s.event).toEqual({ step: 'event', event: { type: 'message', data: { text: 'typing true' } } });
  expect(server.typing).toEqual([false, true]);

  expect(s.validation).toMatchObject({
    say: { id: 10, error: { code: 'VALIDATION', issues: [{ path: ['text'] }] } },
    history: { id: 11, error: { code: 'VALIDATION', issues: [{ path: ['before'] }] } },
    root: { id: 12, error: { code: 'VALIDATION', issues: [{ path: [] }] } },
    event: { type: '$error', error: { code: 'VALIDATION', type: 'say', issues: [{ path: ['text'] }] } },
    eventPosition: 0,
  });
  for (const key of ['say', 'history', 'root']) {
    const issues = ((s.validation[key] as Step).error as { issues: Array<{ message: string }> }).issues;
    expect(issues.every((i) => typeof i.message === 'string' && i.message.length > 0 && i.message.length <= 200)).toBe(true);
  }

  expect(s.unknownType).toEqual({
    step: 'unknownType',
    request: { id: 20, error: { code: 'UNKNOWN_TYPE', message: 'unknown message type "shout"' } },
    event: { type: '$error', error: { code: 'UNKNOWN_TYPE', message: 'unknown message type "shout"', type: 'shout' } },
    afterIgnored: { id: 22, data: { id: 'm-after' } },
    answersTo21: [],
  });

  expect(s.cancel).toEqual({ step: 'cancel', after: { id: 31, data: { id: 'm-next' } }, answersTo30: [] });
  expect(server.slowAborted).toBe(true);

  expect(s.stream).toEqual({
    step: 'stream',
    frames: [
      { id: 40, data: { n: 0 }, more: true },
      { id: 40, data: { n: 1 }, more: true },
      { id: 40, data: { n: 2 }, more: true },
      { id: 40, data: { n: 3 }, more: true },
      { id: 40, more: false },
    ],
    endIsLast: true,
  });
  expect(server.streamed).toEqual([0, 1, 2, 3]);

  expect(s.serverRequest).toEqual({
    step: 'serverRequest',
    request: { type: 'confirm', id: expect.any(Number), data: { question: 'really?' } },
    reply: { id: 50, data: { id: 'confirmed-true' } },
    order: ['confirm', 'reply'],
  });
  expect(server.confirmed).toEqual([true]);

  // docs/protocol.md says "1 to 64 characters"; the server counts UTF-16 code units (JavaScript's
  // length), so 33 emoji (33 characters to Python) are refused.
  expect(s.idLength).toEqual({
    step: 'idLength',
    fits: true,
    fitsLen: 32,
    overLen: 33,
    over: [{ type: '$error', error: { code: 'BAD_MESSAGE', message: expect.any(String), type: 'say' } }],
  });

  expect(logger.errors).toEqual([]);
});
