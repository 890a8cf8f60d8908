import { writeAuthExpiring, writeErrorReply, writeReply } from '../../../src/protocol/envelope';
import type { PeerSocket } from '../../helpers/contract-peer';
import { eventually } from '../../helpers/eventually';
import { connectToPeer } from './connected';

/** A getToken that hands out t1, t2, … and counts its calls; `fail(n)` makes call n throw. */
function tokens(failing: number[] = []) {
  const t = { calls: 0, get: (): string => {
    t.calls++;
    if (failing.includes(t.calls)) throw new Error(`getToken failed (call ${t.calls})`);
    return `t${t.calls}`;
  } };
  return t;
}

/** Proves nothing else was sent before: a call made now is the next frame the peer reads. */
async function nextIsCall(socket: PeerSocket, c: Awaited<ReturnType<typeof connectToPeer>>['c'], text: string): Promise<void> {
  const call = c.call('say', { text });
  const frame = await socket.next();
  expect(frame.raw).toMatchObject({ type: 'say', data: { text } });
  socket.send(writeReply(frame.raw.id as number, { id: 'ok' }));
  await call;
}

describe('typed client: refreshing the credentials in-band ($auth.expiring → $auth)', () => {
  test('each warning gets a $auth request with a fresh token from getToken; the replies are taken quietly', async () => {
    const getToken = tokens();
    const errors: unknown[] = [];
    const { socket, c } = await connectToPeer({ getToken: getToken.get, onError: (err) => errors.push(err) });
    expect(socket.request.headers.authorization).toBe('Bearer t1');
    const expiresAt = Date.now() + 30_000;

    socket.send(writeAuthExpiring(expiresAt));
    const first = await socket.next();
    expect(first.raw).toEqual({ type: '$auth', id: 1, data: { token: 't2' } });
    socket.send(writeReply(1, { expiresAt: expiresAt + 60_000 }));
    // The $auth ids are the client's own: calls share the count. (A round trip also lets the reply be handled.)
    const call = c.call('say', { text: 'hi' });
    expect((await socket.next()).raw).toEqual({ type: 'say', id: 2, data: { text: 'hi' } });
    socket.send(writeReply(2, { id: 'm' }));
    await call;

    socket.send(writeAuthExpiring(expiresAt + 60_000));
    const second = await socket.next();
    expect(second.raw).toEqual({ type: '$auth', id: 3, data: { token: 't3' } });
    socket.send(writeReply(3, { expiresAt: expiresAt + 120_000 }));
    await nextIsCall(socket, c, 'after');
    expect(getToken.calls).toBe(3);
    expect(errors).toEqual([]);
    expect(c.state).toBe('open');
  });

  test('at most one refresh at a time: warnings while getToken runs send nothing more', async () => {
    let release!: (token: string) => void;
    let calls = 0;
    const getToken = (): string | Promise<string> => (++calls === 1 ? 't1' : new Promise<string>((resolve) => (release = resolve)));
    const { socket, c } = await connectToPeer({ getToken });
    socket.send(writeAuthExpiring(Date.now() + 30_000));
    socket.send(writeAuthExpiring(Date.now() + 30_000));
    await eventually(() => calls === 2, 'getToken called for the warning');
    socket.send(writeAuthExpiring(Date.now() + 30_000));
    // A frame that the client answers, to know it has read the warnings above.
    socket.send(JSON.stringify({ type: 'nope' }));
    expect((await socket.next()).raw).toMatchObject({ type: '$error', error: { code: 'UNKNOWN_TYPE' } });
    expect(calls).toBe(2);
    release('fresh');
    expect((await socket.next()).raw).toEqual({ type: '$auth', id: 1, data: { token: 'fresh' } });
    await nextIsCall(socket, c, 'after');
  });

  test('a getToken that throws: reported to onError, nothing sent, the connection stays; the 4401 at expiry makes it reconnect with getToken once more', async () => {
    const getToken = tokens([2]);
    const errors: unknown[] = [];
    const { peer, socket, c } = await connectToPeer({ getToken: getToken.get, reconnect: { min: 5, max: 20 }, onError: (err) => errors.push(err) });
    socket.send(writeAuthExpiring(Date.now() + 1000));
    await eventually(() => errors.length === 1, 'the getToken failure reported');
    expect(String(errors[0])).toContain('getToken failed (call 2)');
    await nextIsCall(socket, c, 'still open');
    expect(c.state).toBe('open');

    socket.close(4401, 'credentials expired');
    const second = await peer.connection();
    expect(second.request.headers.authorization).toBe('Bearer t3');
    expect(getToken.calls).toBe(3);
    await nextIsCall(second, c, 'reconnected');
  });

  test('an onError that throws while reporting a failed getToken changes nothing: the client stays open', async () => {
    const getToken = tokens([2]);
    let reported = 0;
    const { socket, c } = await connectToPeer({ getToken: getToken.get, onError: () => {
      reported++;
      throw new Error('onError failed too');
    } });
    socket.send(writeAuthExpiring(Date.now() + 1000));
    await eventually(() => reported === 1, 'the getToken failure reported');
    await new Promise((resolve) => setImmediate(resolve));
    await nextIsCall(socket, c, 'still fine');
    expect(c.state).toBe('open');
  });

  test('a refused refresh (UNAUTHORIZED) is not reported; the server closes 4401 and the client reconnects with a fresh token', async () => {
    const getToken = tokens();
    const errors: unknown[] = [];
    const { peer, socket, c } = await connectToPeer({ getToken: getToken.get, reconnect: { min: 5, max: 20 }, onError: (err) => errors.push(err) });
    socket.send(writeAuthExpiring(Date.now() + 1000));
    const auth = await socket.next();
    expect(auth.raw).toEqual({ type: '$auth', id: 1, data: { token: 't2' } });
    socket.send(writeErrorReply(1, { code: 'UNAUTHORIZED', message: 'token refused' }));
    socket.close(4401, 'credentials expired');
    const second = await peer.connection();
    expect(second.request.headers.authorization).toBe('Bearer t3');
    await nextIsCall(second, c, 'back');
    expect(errors).toEqual([]);
  });

  test('without getToken, $auth.expiring is ignored: no $auth is sent', async () => {
    const errors: unknown[] = [];
    const { socket, c } = await connectToPeer({ onError: (err) => errors.push(err) });
    socket.send(writeAuthExpiring(Date.now() + 30_000));
    await nextIsCall(socket, c, 'only this');
    expect(errors).toEqual([]);
  });

  test('a token that arrives after its connection dropped is not sent on the next one', async () => {
    let release!: (token: string) => void;
    let calls = 0;
    const getToken = (): string | Promise<string> => (++calls === 2 ? new Promise<string>((resolve) => (release = resolve)) : `t${calls}`);
    const { peer, socket, c } = await connectToPeer({ getToken, reconnect: { min: 5, max: 20 } });
    socket.send(writeAuthExpiring(Date.now() + 30_000));
    await eventually(() => calls === 2, 'getToken called for the warning');
    socket.close(1012, 'restart');
    const second = await peer.connection();
    expect(second.request.headers.authorization).toBe('Bearer t3');
    await eventually(() => c.state === 'open', 'the client open again');
    release('late');
    await new Promise((resolve) => setImmediate(resolve)); // the refresh has gone on with its token by now
    await nextIsCall(second, c, 'no late $auth before this');
  });
});
