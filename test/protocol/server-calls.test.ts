/**
 * What a contract gateway sends on its own: conn.send events, conn.call requests to the client
 * (answer, error, timeout with $cancel, close, validation of the answer), and OVERLOADED while the
 * server awaits the client (the socket is never paused then, so the answer can be read).
 */
import { Connection, Gateway, Hub, MessageError, OnMessage, OnOpen, TimeoutError, WebSocketClosedError, type In, type MessageContext, type Out } from '../../src';
import { memoryLogger, startApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { chat, JsonPeer } from './fixtures';

/** A chat gateway that asks the client to confirm on 'say' text "ask", and records how the call ended. */
function askingGateway(callTimeout?: number) {
  const outcomes: unknown[] = [];
  const conns: Array<Connection<typeof chat>> = [];

  @Gateway('/ask', { contract: chat, validateOutgoing: true })
  class AskingGateway {
    constructor(private readonly conn: Connection<typeof chat>) {
      conns.push(conn);
    }

    @OnOpen() open(): Promise<void> {
      return this.conn.send('message', { text: 'welcome' });
    }

    @OnMessage(chat, 'say')
    async say({ text }: In<typeof chat, 'say'>): Promise<Out<typeof chat, 'say'>> {
      if (text === 'ask') {
        try {
          const yes = await this.conn.call('confirm', { question: 'sure?' }, callTimeout === undefined ? undefined : { timeout: callTimeout });
          outcomes.push(yes);
        } catch (err) {
          outcomes.push(err);
        }
      }
      return { id: text };
    }

    @OnMessage(chat, 'typing') typing(): void {}
    @OnMessage(chat, 'ping') ping(): void {}
    @OnMessage(chat, 'history')
    async *history(_data: In<typeof chat, 'history'>, _ctx: MessageContext): AsyncIterable<Out<typeof chat, 'history'>> {}
  }
  return { AskingGateway, outcomes, conns };
}

describe('conn.send and conn.call', () => {
  it('conn.send: a typed event, validated with validateOutgoing', async () => {
    const { AskingGateway, conns } = askingGateway();
    const { url, logger } = await startApp([AskingGateway]);
    const peer = await JsonPeer.open(url('/ask'));
    expect(await peer.next((m) => m.type === 'message')).toEqual({ type: 'message', data: { text: 'welcome' } });
    const conn = conns[0];
    // @ts-expect-error: text must be a string (the contract says so); refused at run time too
    await expect(conn.send('message', { text: 5 })).rejects.toThrow(/does not match the contract/);
    expect(logger.errors.join('\n')).toMatch(/conn\.send\('message'\) with data its schema refuses/);
    // @ts-expect-error: 'confirm' is a request: conn.call, not conn.send
    await expect(conn.send('confirm', { question: 'x' })).rejects.toThrow(/is a request/);
    // @ts-expect-error: not a server message of the contract
    await expect(conn.send('nope', {})).rejects.toThrow(/has no server message "nope"/);
  });

  it('conn.call: the client answers, the handler gets the validated answer, then its own reply goes out', async () => {
    const { AskingGateway, outcomes } = askingGateway();
    const { url } = await startApp([AskingGateway]);
    const peer = await JsonPeer.open(url('/ask'));
    peer.send({ type: 'say', id: 'r1', data: { text: 'ask' } });
    const request = await peer.next((m) => m.type === 'confirm');
    expect(request).toEqual({ type: 'confirm', id: 1, data: { question: 'sure?' } });
    peer.send({ id: request.id, data: true });
    expect(await peer.answer('r1')).toEqual({ id: 'r1', data: { id: 'ask' } });
    expect(outcomes).toEqual([true]);
  });

  it('conn.call: an answer its schema refuses rejects with MessageError VALIDATION; an error answer with MessageError', async () => {
    const { AskingGateway, outcomes } = askingGateway();
    const { url } = await startApp([AskingGateway]);
    const peer = await JsonPeer.open(url('/ask'));
    peer.send({ type: 'say', id: 'r1', data: { text: 'ask' } });
    const first = await peer.next((m) => m.type === 'confirm' && m.id === 1);
    peer.send({ id: first.id, data: 'yes' });
    await peer.answer('r1');
    peer.send({ type: 'say', id: 'r2', data: { text: 'ask' } });
    const second = await peer.next((m) => m.type === 'confirm' && m.id === 2);
    peer.send({ id: second.id, error: { code: 'DECLINED', message: 'no thanks' } });
    await peer.answer('r2');
    expect(outcomes[0]).toBeInstanceOf(MessageError);
    expect(outcomes[0]).toMatchObject({ code: 'VALIDATION', issues: [{ path: [] }] });
    expect(outcomes[1]).toMatchObject({ code: 'DECLINED', message: 'no thanks' });
  });

  it('conn.call: no answer within the timeout rejects with TimeoutError and sends $cancel', async () => {
    const { AskingGateway, outcomes } = askingGateway(50);
    const { url } = await startApp([AskingGateway]);
    const peer = await JsonPeer.open(url('/ask'));
    peer.send({ type: 'say', id: 'r1', data: { text: 'ask' } });
    const request = await peer.next((m) => m.type === 'confirm');
    expect(await peer.next((m) => m.type === '$cancel')).toEqual({ type: '$cancel', id: request.id });
    await peer.answer('r1');
    expect(outcomes[0]).toBeInstanceOf(TimeoutError);
    peer.send({ id: request.id, data: true }); // a late answer is ignored
    expect(await peer.request('ping', undefined, 'after')).toEqual({ id: 'after', data: null });
  });

  it('conn.call: the connection ending first rejects with WebSocketClosedError', async () => {
    const { AskingGateway, outcomes } = askingGateway();
    const { url } = await startApp([AskingGateway]);
    const peer = await JsonPeer.open(url('/ask'));
    peer.send({ type: 'say', id: 'r1', data: { text: 'ask' } });
    await peer.next((m) => m.type === 'confirm');
    peer.ws.terminate();
    await eventually(() => outcomes.length === 1, 'the call to settle');
    expect(outcomes[0]).toBeInstanceOf(WebSocketClosedError);
  });

  it('while awaiting the client, the socket is not paused: messages beyond the bound are answered OVERLOADED, and the answer still gets through', async () => {
    const { AskingGateway, outcomes } = askingGateway();
    const { url } = await startApp([AskingGateway], { maxQueuedMessages: 4, logger: memoryLogger() });
    const peer = await JsonPeer.open(url('/ask'));
    peer.send({ type: 'say', id: 'asking', data: { text: 'ask' } });
    const request = await peer.next((m) => m.type === 'confirm');
    for (let i = 0; i < 10; i++) peer.send({ type: 'say', id: i, data: { text: `q${i}` } });
    peer.send({ type: 'typing', data: { on: true } }); // an event beyond the bound: a $error
    for (let i = 4; i < 10; i++) {
      expect(await peer.answer(i)).toEqual({ id: i, error: { code: 'OVERLOADED', message: 'too many messages waiting; try again later' } });
    }
    expect(await peer.next((m) => m.type === '$error')).toEqual({
      type: '$error',
      error: { code: 'OVERLOADED', message: 'too many messages waiting; try again later', type: 'typing' },
    });
    peer.send({ id: request.id, data: false }); // read although 11 messages came after it
    for (let i = 0; i < 4; i++) expect(await peer.answer(i)).toEqual({ id: i, data: { id: `q${i}` } });
    expect(outcomes).toEqual([false]);
  });
});

describe('hub.publish of a contract event', () => {
  it('sends the envelope to every subscriber but the one excepted; a request type or an unknown type is a TypeError', async () => {
    @Gateway('/room', { contract: chat })
    class RoomGateway {
      constructor(
        private readonly conn: Connection<typeof chat>,
        private readonly hub: Hub,
      ) {}
      @OnOpen() open(): Promise<void> {
        return this.conn.subscribe('room');
      }
      @OnMessage(chat, 'say') async say({ text }: In<typeof chat, 'say'>): Promise<Out<typeof chat, 'say'>> {
        await this.hub.publish('room', chat, 'message', { text }, { except: this.conn });
        return { id: text };
      }
      @OnMessage(chat, 'typing') typing(): void {
        // @ts-expect-error 'confirm' is a request, not an event
        expect(() => this.hub.publish('room', chat, 'confirm', { question: 'q' })).toThrow(/"confirm" is not an event/);
      }
      @OnMessage(chat, 'ping') ping(): void {}
      @OnMessage(chat, 'history') async *history(): AsyncIterable<Out<typeof chat, 'history'>> {}
    }
    const { url, logger } = await startApp([RoomGateway]);
    const [alice, bob] = [await JsonPeer.open(url('/room')), await JsonPeer.open(url('/room'))];
    expect(await alice.request('say', { text: 'hello' }, 1)).toEqual({ id: 1, data: { id: 'hello' } });
    expect(await bob.next((m) => m.type === 'message')).toEqual({ type: 'message', data: { text: 'hello' } });
    expect(alice.received.filter((m) => m.type === 'message')).toEqual([]);
    expect(await alice.request('typing', { on: true }, 2)).toEqual({ id: 2, data: null });
    expect(logger.errors).toEqual([]);
  });
});
