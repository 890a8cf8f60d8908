import { MessageError, TimeoutError, WebSocketClosedError } from '../../../src/errors';
import { connect } from '../../../src/client-entry';
import { writeErrorReply, writeReply } from '../../../src/protocol/envelope';
import { rejectionOf } from '../../helpers/client';
import { ContractPeer } from '../../helpers/contract-peer';
import { chat } from './contract';
import { connectToPeer } from './connected';

const setup = connectToPeer;

describe('typed client: calls and events it sends', () => {
  test('offers wsgate.v1, sends a request with id 1 and resolves with the validated reply', async () => {
    const { socket, c } = await setup();
    expect(socket.ws.protocol).toBe('wsgate.v1');
    const reply = c.call('say', { text: 'hi' });
    const got = await socket.next();
    expect(got.raw).toEqual({ type: 'say', id: 1, data: { text: 'hi' } });
    socket.send(writeReply(1, { id: 'm1' }));
    await expect(reply).resolves.toEqual({ id: 'm1' });
  });

  test('ids count up; a request without data leaves "data" out; a valibot reply schema checks the answer', async () => {
    const { socket, c } = await setup();
    const a = c.call('ping');
    const b = c.call('say', { text: 'x' });
    const [first, second] = [await socket.next(), await socket.next()];
    expect(first.raw).toEqual({ type: 'ping', id: 1 });
    expect(second.raw).toMatchObject({ type: 'say', id: 2 });
    socket.send(writeReply(2, { id: 'b' }));
    socket.send(writeReply(1, 'pong'));
    await expect(a).resolves.toBe('pong');
    await expect(b).resolves.toEqual({ id: 'b' });
  });

  test('an error reply rejects with MessageError carrying the code and the declared data', async () => {
    const { socket, c } = await setup();
    const reply = c.call('say', { text: 'hi' });
    const { raw } = await socket.next();
    socket.send(writeErrorReply(raw.id as number, { code: 'RATE_LIMITED', message: 'slow down', data: { retryAfterMs: 500 } }));
    const err = await rejectionOf(reply);
    expect(err).toBeInstanceOf(MessageError);
    if (!c.isError(err, 'RATE_LIMITED')) throw new Error('expected RATE_LIMITED');
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.data?.retryAfterMs).toBe(500);
    expect(err.message).toBe('slow down');
  });

  test('a reply that fails the reply schema rejects with VALIDATION and its issue paths', async () => {
    const { socket, c } = await setup();
    const reply = c.call('say', { text: 'hi' });
    await socket.next();
    socket.send(writeReply(1, { id: 42 }));
    const err = await rejectionOf(reply);
    expect(MessageError.is(err) && err.code).toBe('VALIDATION');
    expect((err as MessageError).issues).toEqual([expect.objectContaining({ path: ['id'] })]);
  });

  test('a call not answered within its timeout rejects with TimeoutError and sends $cancel', async () => {
    const { socket, c } = await setup();
    const err = await rejectionOf(c.call('say', { text: 'slow' }, { timeout: 50 }));
    expect(err).toBeInstanceOf(TimeoutError);
    expect((await socket.next()).raw).toMatchObject({ type: 'say', id: 1 });
    expect((await socket.next()).raw).toEqual({ type: '$cancel', id: 1 });
  });

  test('an aborted call rejects with the reason and sends $cancel; a late reply is ignored', async () => {
    const { socket, c } = await setup();
    const ac = new AbortController();
    const reply = c.call('say', { text: 'x' }, { signal: ac.signal });
    await socket.next();
    ac.abort(new Error('user left'));
    await expect(reply).rejects.toThrow('user left');
    expect((await socket.next()).raw).toEqual({ type: '$cancel', id: 1 });
    socket.send(writeReply(1, { id: 'late' }));
    const next = c.call('say', { text: 'y' });
    await socket.next();
    socket.send(writeReply(2, { id: 'second' }));
    await expect(next).resolves.toEqual({ id: 'second' });
  });

  test('send() writes an event envelope; an event of a type without data has no "data"', async () => {
    const { socket, c } = await setup();
    await c.send('note', { n: 3 });
    expect((await socket.next()).raw).toEqual({ type: 'note', data: { n: 3 } });
  });

  test('getToken: sent as Authorization: Bearer in Node, never in the URL; headers are added', async () => {
    const { socket } = await setup({ getToken: () => 'tok en', headers: { 'X-App': '1' } });
    expect(socket.request.headers.authorization).toBe('Bearer tok en');
    expect(socket.request.headers['x-app']).toBe('1');
    expect(socket.request.url).toBe('/chat');
    expect(socket.request.headers['sec-websocket-protocol']).toBe('wsgate.v1');
  });

  test('close() ends the client: pending calls reject with WebSocketClosedError, later calls at once', async () => {
    const { socket, c } = await setup();
    const pending = rejectionOf(c.call('say', { text: 'x' }));
    await socket.next();
    await c.close();
    expect(c.state).toBe('closed');
    expect(await pending).toBeInstanceOf(WebSocketClosedError);
    expect(await rejectionOf(c.call('say', { text: 'y' }))).toBeInstanceOf(WebSocketClosedError);
    expect((await socket.closed).code).toBe(1000);
  });

  test('connect() rejects when nothing listens and reconnect is off', async () => {
    const peer = await ContractPeer.start();
    const url = peer.url;
    await peer.stop();
    await expect(connect(chat, url)).rejects.toThrow(/ECONNREFUSED|refused/);
  });
});
