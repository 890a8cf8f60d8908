import { TimeoutError, WebSocketClosedError, WebSocketHandshakeError } from '../../../src/errors';
import { connect, type ClientState } from '../../../src/client-entry';
import { writeEvent, writeReply } from '../../../src/protocol/envelope';
import { onCleanup } from '../../helpers/cleanup';
import { rejectionOf, startHttpServer } from '../../helpers/client';
import { ContractPeer } from '../../helpers/contract-peer';
import { chat } from './contract';
import { connectToPeer } from './connected';

/** Records the states and lets a test await the next occurrence of one. */
function stateLog() {
  const states: ClientState[] = [];
  const waiters: Array<{ state: ClientState; resolve(): void }> = [];
  return {
    states,
    onStateChange(state: ClientState) {
      states.push(state);
      for (const w of waiters.filter((x) => x.state === state)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    },
    reached: (state: ClientState) => new Promise<void>((resolve) => waiters.push({ state, resolve })),
  };
}

async function setup(options: Parameters<typeof connect>[2] = {}) {
  const log = stateLog();
  return { ...(await connectToPeer({ reconnect: { min: 5, max: 20 }, onStateChange: log.onStateChange, ...options })), log };
}

describe('typed client: reconnecting', () => {
  test('server restarted on the same port: reconnecting → open; pending calls reject, queued ones and idempotent ones go out, ids go on', async () => {
    const { peer, socket, c, log } = await setup();
    const port = peer.port;
    const plain = rejectionOf(c.call('say', { text: 'plain' }));
    const durable = c.call('say', { text: 'durable' }, { idempotencyKey: 'K1' });
    expect((await socket.next()).raw).toMatchObject({ id: 1 });
    expect((await socket.next()).raw).toEqual({ type: 'say', id: 2, data: { text: 'durable' }, key: 'K1' });

    const down = log.reached('reconnecting');
    await peer.stop();
    await down;
    expect(await plain).toBeInstanceOf(WebSocketClosedError);

    // Made while reconnecting: these wait in the queue; the volatile event is dropped.
    const queued = c.call('say', { text: 'queued' });
    const event = c.send('note', { n: 1 });
    await c.send('typing', { on: true });

    const up = log.reached('open');
    const peer2 = await ContractPeer.start(port);
    const socket2 = await peer2.connection();
    await up;
    expect((await socket2.next()).raw).toEqual({ type: 'say', id: 2, data: { text: 'durable' }, key: 'K1' });
    expect((await socket2.next()).raw).toEqual({ type: 'say', id: 3, data: { text: 'queued' } });
    expect((await socket2.next()).raw).toEqual({ type: 'note', data: { n: 1 } });
    await event;
    socket2.send(writeReply(3, { id: 'q' }));
    socket2.send(writeReply(2, { id: 'd' }));
    await expect(queued).resolves.toEqual({ id: 'q' });
    await expect(durable).resolves.toEqual({ id: 'd' });
    expect(log.states).toEqual(['open', 'reconnecting', 'open']);
    // Nothing else was sent: the next frame is a fresh call with the next id.
    const after = c.call('say', { text: 'after' });
    expect((await socket2.next()).raw).toMatchObject({ id: 4, data: { text: 'after' } });
    socket2.send(writeReply(4, { id: 'a' }));
    await after;
  });

  test('a queued call that times out while reconnecting is never sent', async () => {
    const { peer, c, log } = await setup();
    const port = peer.port;
    const down = log.reached('reconnecting');
    await peer.stop();
    await down;
    expect(await rejectionOf(c.call('say', { text: 'too late' }, { timeout: 20 }))).toBeInstanceOf(TimeoutError);
    const kept = c.call('say', { text: 'kept' });
    const peer2 = await ContractPeer.start(port);
    const socket2 = await peer2.connection();
    // The first frame is the call that waited: neither the timed-out call nor a $cancel for it.
    expect((await socket2.next()).raw).toEqual({ type: 'say', id: 2, data: { text: 'kept' } });
    socket2.send(writeReply(2, { id: 'k' }));
    await expect(kept).resolves.toEqual({ id: 'k' });
  });

  test('beyond queue.max, calls made while reconnecting reject at once', async () => {
    const { peer, c, log } = await setup({ queue: { max: 2 } });
    const down = log.reached('reconnecting');
    await peer.stop();
    await down;
    const first = rejectionOf(c.call('say', { text: '1' }));
    const second = rejectionOf(c.send('note', { n: 2 }));
    const third = await rejectionOf(c.call('say', { text: '3' }));
    expect(third).toBeInstanceOf(WebSocketClosedError);
    expect(third.message).toMatch(/2 messages already wait/);
    await c.close();
    expect(await first).toBeInstanceOf(WebSocketClosedError);
    expect(await second).toBeInstanceOf(WebSocketClosedError);
  });

  test.each([1008, 4403])('a close with %i stops for good: closed, no new attempt', async (code) => {
    const { peer, socket, c, log } = await setup();
    const pending = rejectionOf(c.call('say', { text: 'x' }));
    await socket.next();
    const closed = log.reached('closed');
    socket.close(code, 'go away');
    await closed;
    expect(log.states).toEqual(['open', 'closed']);
    expect(await pending).toBeInstanceOf(WebSocketClosedError);
    expect((await pending).message).toContain(String(code));
    expect(peer.accepted).toBe(1);
  });

  test.each([
    [401, 'without getToken'],
    [403, 'whatever the token'],
  ])('an upgrade refused with HTTP %i %s stops even with reconnect on: connect() rejects with the status', async (status) => {
    const http = await startHttpServer((_req, res) => void res.writeHead(status).end('no'));
    const states: ClientState[] = [];
    const giveUp = new AbortController(); // should it go on reconnecting, the cleanup stops it
    onCleanup(() => giveUp.abort());
    const url = `ws://127.0.0.1:${http.port}/chat`;
    const err = await rejectionOf(connect(chat, url, { reconnect: { min: 5, max: 20 }, onStateChange: (s) => states.push(s), signal: giveUp.signal }));
    expect(err).toBeInstanceOf(WebSocketHandshakeError);
    expect((err as WebSocketHandshakeError).status).toBe(status);
    expect(states).toEqual(['closed']);
    expect(http.requests).toHaveLength(1);
  });

  test('options.signal gives up a connect() that keeps retrying: it rejects with the reason, the client is closed', async () => {
    const peer = await ContractPeer.start();
    const url = peer.url;
    await peer.stop();
    const giveUp = new AbortController();
    const states: ClientState[] = [];
    const connecting = rejectionOf(connect(chat, url, { reconnect: { min: 5, max: 20 }, signal: giveUp.signal, onStateChange: (s) => {
      states.push(s);
      if (s === 'reconnecting') giveUp.abort(new Error('user gave up'));
    } }));
    expect((await connecting).message).toBe('user gave up');
    expect(states).toEqual(['reconnecting', 'closed']);
  });

  test('c.close() stops for good while reconnecting', async () => {
    const { peer, c, log } = await setup();
    const down = log.reached('reconnecting');
    await peer.stop();
    await down;
    await c.close();
    expect(c.state).toBe('closed');
    expect(log.states).toEqual(['open', 'reconnecting', 'closed']);
  });

  test('4401: retried at once with a fresh token from getToken; refused again, it stops', async () => {
    let n = 0;
    const { peer, socket, c, log } = await setup({ getToken: () => `t${++n}` });
    expect(socket.request.headers.authorization).toBe('Bearer t1');
    socket.close(4401, 'credentials expired');
    const second = await peer.connection();
    expect(second.request.headers.authorization).toBe('Bearer t2');
    await log.reached('open');
    // The server speaks on it: the fresh token was accepted, so a later 4401 gets a retry again.
    second.send(writeEvent('message', { text: 'welcome' }));
    await new Promise<void>((resolve) => c.on('message', () => resolve()));
    second.close(4401, 'credentials expired');
    const third = await peer.connection();
    expect(third.request.headers.authorization).toBe('Bearer t3');
    const closed = log.reached('closed');
    third.close(4401, 'still no');
    await closed;
    expect(c.state).toBe('closed');
    expect(peer.accepted).toBe(3);
  });

  test('4401: a fresh token refused at once (101, then 4401) stops it', async () => {
    let n = 0;
    const { peer, socket, log } = await setup({ getToken: () => `t${++n}` });
    socket.close(4401, 'expired');
    const second = await peer.connection();
    const closed = log.reached('closed');
    second.close(4401, 'refused');
    await closed;
    expect(log.states).toEqual(['open', 'reconnecting', 'open', 'closed']);
    expect(peer.accepted).toBe(2);
  });

  test('4401 and getToken failing: it stops', async () => {
    let n = 0;
    const { socket, log } = await setup({
      getToken: () => {
        if (++n > 1) throw new Error('no token');
        return 't';
      },
    });
    const closed = log.reached('closed');
    socket.close(4401, 'expired');
    await closed;
    expect(log.states).toEqual(['open', 'reconnecting', 'closed']);
  });
});
