/**
 * readMessage({ signal, timeout }): a read that gives up takes nothing, so the message it would
 * have taken goes to the next read (a read abandoned with Promise.race used to swallow it).
 */
import { Connection, Gateway, OnMessage, TimeoutError } from '../../src';
import { startApp } from '../helpers/app';
import { connectClient, rejectionOf } from '../helpers/client';

describe('readMessage options', () => {
  @Gateway('/later')
  class SendOnRequestGateway {
    constructor(private readonly conn: Connection) {}
    @OnMessage() onMessage(m: string): Promise<void> | undefined {
      if (m.startsWith('twice ')) {
        // Two frames in one tick leave in one TCP write, so they reach the client in one read.
        void this.conn.writeMessage(`first of ${m}`);
        return this.conn.writeMessage(`second of ${m}`);
      }
      return this.conn.writeMessage(`reply to ${m}`);
    }
  }

  it('an aborted read rejects with the signal’s reason and takes nothing: the next read gets the message', async () => {
    const { url } = await startApp([SendOnRequestGateway]);
    const conn = await connectClient(url('/later'));
    const controller = new AbortController();
    const abandoned = conn.readMessage({ signal: controller.signal });
    controller.abort(new Error('gave up'));
    expect((await rejectionOf(abandoned)).message).toBe('gave up');
    await conn.writeMessage('one');
    expect(await conn.readMessage()).toBe('reply to one');
  });

  it('a read that times out rejects with TimeoutError and takes nothing', async () => {
    const { url } = await startApp([SendOnRequestGateway]);
    const conn = await connectClient(url('/later'));
    const err = await rejectionOf(conn.readMessage({ timeout: 20 }));
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.message).toBe('readMessage: no message within 20 ms');
    await conn.writeMessage('two');
    expect(await conn.readMessage({ timeout: 5000 })).toBe('reply to two');
  });

  it('an already aborted signal rejects at once even when a message is waiting, and leaves it for the next read', async () => {
    const { url } = await startApp([SendOnRequestGateway]);
    const conn = await connectClient(url('/later'));
    await conn.writeMessage('twice 3');
    expect(await conn.readMessage()).toBe('first of twice 3'); // the second one now waits in the queue
    const aborted = AbortSignal.abort();
    expect(await rejectionOf(conn.readMessage({ signal: aborted }))).toBe(aborted.reason);
    expect(await conn.readMessage()).toBe('second of twice 3');
  });

  it('a negative timeout is a RangeError, thrown at once', async () => {
    const { url } = await startApp([SendOnRequestGateway]);
    const conn = await connectClient(url('/later'));
    expect(() => conn.readMessage({ timeout: -1 })).toThrow(RangeError);
  });
});
