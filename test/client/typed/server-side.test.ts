import { MessageError } from '../../../src/errors';
import { writeCancel, writeEvent, writeRequest, writeStreamEnd, writeStreamItem } from '../../../src/protocol/envelope';
import { rejectionOf } from '../../helpers/client';
import { connectToPeer } from './connected';

const setup = connectToPeer;

describe('typed client: what the server sends', () => {
  test('on() gets each validated event; the returned function stops it', async () => {
    const { socket, c } = await setup();
    const seen: string[] = [];
    let wake!: () => void;
    const stop = c.on('message', (m) => {
      seen.push(m.text);
      wake();
    });
    const first = new Promise<void>((resolve) => (wake = resolve));
    socket.send(writeEvent('message', { text: 'a' }));
    await first;
    stop();
    // After stop(): only the iterator below sees 'b'.
    const it = c.events('message');
    socket.send(writeEvent('message', { text: 'b' }));
    expect(await it.next()).toEqual({ done: false, value: { text: 'b' } });
    expect(seen).toEqual(['a']);
  });

  test('events() yields events in order; an invalid event is not delivered, reported, and answered with $error', async () => {
    const errors: unknown[] = [];
    const { socket, c } = await setup({ onError: (err) => errors.push(err) });
    const it = c.events('message');
    socket.send(writeEvent('message', { text: 1 }));
    for (let i = 0; i < 5; i++) socket.send(writeEvent('message', { text: `m${i}` }));
    const got: string[] = [];
    for await (const m of it) {
      got.push(m.text);
      if (got.length === 5) break;
    }
    expect(got).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(errors).toEqual([expect.objectContaining({ code: 'VALIDATION' })]);
    const complaint = (await socket.next()).raw;
    expect(complaint).toMatchObject({ type: '$error', error: { code: 'VALIDATION', type: 'message', issues: [{ path: ['text'] }] } });
  });

  test('events(): more than streamBuffer unread events end the iterator with OVERFLOW after the kept ones', async () => {
    const { socket, c } = await setup({ streamBuffer: 4 });
    const it = c.events('message');
    for (let i = 0; i < 10; i++) socket.send(writeEvent('message', { text: `e${i}` }));
    socket.send(writeRequest('confirm', 1, { question: 'sync' }));
    // The request after the events is answered (UNKNOWN_TYPE: no handler): every event was read by then.
    expect((await socket.next()).raw).toMatchObject({ id: 1, error: { code: 'UNKNOWN_TYPE' } });
    const got: string[] = [];
    const err = await rejectionOf((async () => {
      for await (const m of it) got.push(m.text);
    })());
    expect(MessageError.is(err) && err.code).toBe('OVERFLOW');
    expect(got).toEqual(['e0', 'e1', 'e2', 'e3']);
  });

  test('handle() answers a server request with the handler result', async () => {
    const { socket, c } = await setup();
    c.handle('confirm', async ({ question }) => question === 'ok?');
    socket.send(writeRequest('confirm', 7, { question: 'ok?' }));
    expect((await socket.next()).raw).toEqual({ id: 7, data: true });
  });

  test('handle(): a MessageError becomes an error reply, bad data VALIDATION, an unhandled type UNKNOWN_TYPE', async () => {
    const errors: unknown[] = [];
    const { socket, c } = await setup({ onError: (err) => errors.push(err) });
    c.handle('confirm', ({ question }) => {
      if (question === 'boom') throw new Error('secret detail');
      throw new MessageError('RATE_LIMITED', 'later', { retryAfterMs: 1 });
    });
    socket.send(writeRequest('confirm', 1, { question: 'x' }));
    expect((await socket.next()).raw).toEqual({ id: 1, error: { code: 'RATE_LIMITED', message: 'later', data: { retryAfterMs: 1 } } });
    socket.send(writeRequest('confirm', 2, { question: 5 }));
    expect((await socket.next()).raw).toMatchObject({ id: 2, error: { code: 'VALIDATION', issues: [{ path: ['question'] }] } });
    socket.send(writeRequest('message', 3, { text: 'x' }));
    expect((await socket.next()).raw).toMatchObject({ id: 3, error: { code: 'UNKNOWN_TYPE' } });
    socket.send(writeRequest('confirm', 4, { question: 'boom' }));
    expect((await socket.next()).raw).toEqual({ id: 4, error: { code: 'INTERNAL', message: 'Internal error' } });
    expect(errors).toEqual([expect.objectContaining({ message: 'secret detail' })]);
  });

  test("handle(): the server's $cancel aborts ctx.signal and nothing is sent for that id", async () => {
    const { socket, c } = await setup();
    let aborted!: () => void;
    const wasAborted = new Promise<void>((resolve) => (aborted = resolve));
    let started!: () => void;
    const wasStarted = new Promise<void>((resolve) => (started = resolve));
    c.handle('confirm', async ({ question }, ctx) => {
      if (question === 'quick') return true;
      started();
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      aborted();
      return false;
    });
    socket.send(writeRequest('confirm', 1, { question: 'slow' }));
    await wasStarted;
    socket.send(writeCancel(1));
    await wasAborted;
    socket.send(writeRequest('confirm', 2, { question: 'quick' }));
    // The next frame is the answer to 2: none came for the cancelled 1.
    expect((await socket.next()).raw).toEqual({ id: 2, data: true });
  });

  test('handle(): a server request whose id is still being handled gets $error DUPLICATE_ID, never an answer to that id', async () => {
    const { socket, c } = await setup();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    c.handle('confirm', async ({ question }) => {
      if (question === 'hold') await held;
      return question === 'hold';
    });
    socket.send(writeRequest('confirm', 5, { question: 'hold' }));
    socket.send(writeRequest('confirm', 5, { question: 'again' }));
    expect((await socket.next()).raw).toMatchObject({ type: '$error', error: { code: 'DUPLICATE_ID', type: 'confirm' } });
    release();
    expect((await socket.next()).raw).toEqual({ id: 5, data: true });
  });

  test('stream(): 10,000 items sent at once arrive in order', async () => {
    const { socket, c } = await setup();
    const items = c.stream('count', { n: 10_000 });
    const { raw } = await socket.next();
    expect(raw).toEqual({ type: 'count', id: 1, data: { n: 10_000 } });
    for (let i = 0; i < 10_000; i++) socket.send(writeStreamItem(1, i));
    socket.send(writeStreamEnd(1));
    let expected = 0;
    for await (const n of items) {
      expect(n).toBe(expected);
      expected++;
    }
    expect(expected).toBe(10_000);
  });

  test('stream(): more than streamBuffer unread items sends $cancel and fails the iteration with OVERFLOW', async () => {
    const { socket, c } = await setup({ streamBuffer: 16 });
    const items = c.stream('count', { n: 100 });
    await socket.next();
    for (let i = 0; i < 100; i++) socket.send(writeStreamItem(1, i));
    expect((await socket.next()).raw).toEqual({ type: '$cancel', id: 1 });
    const got: number[] = [];
    const err = await rejectionOf((async () => {
      for await (const n of items) got.push(n);
    })());
    expect(MessageError.is(err) && err.code).toBe('OVERFLOW');
    expect(got).toEqual(Array.from({ length: 16 }, (_, i) => i));
  });

  test('stream(): an item that fails the schema ends the iteration with VALIDATION and sends $cancel', async () => {
    const { socket, c } = await setup();
    const items = c.stream('count', { n: 2 });
    await socket.next();
    socket.send(writeStreamItem(1, 0));
    socket.send(writeStreamItem(1, 'one'));
    const got: number[] = [];
    const err = await rejectionOf((async () => {
      for await (const n of items) got.push(n);
    })());
    expect(MessageError.is(err) && err.code).toBe('VALIDATION');
    expect(got).toEqual([0]);
    expect((await socket.next()).raw).toEqual({ type: '$cancel', id: 1 });
  });

  test('stream(): leaving the loop early sends $cancel', async () => {
    const { socket, c } = await setup();
    const items = c.stream('count', { n: 5 });
    await socket.next();
    for (let i = 0; i < 5; i++) socket.send(writeStreamItem(1, i));
    for await (const n of items) if (n === 1) break;
    expect((await socket.next()).raw).toEqual({ type: '$cancel', id: 1 });
  });
});
