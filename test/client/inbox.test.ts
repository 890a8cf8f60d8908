/** The client's read queue on its own (no sockets): bound, pause/resume, close, end, callback style. */
import type { WebSocket } from 'ws';
import { MessageQueue, type MessageQueueOptions } from '../../src/client/inbox';

function queue(options: Partial<MessageQueueOptions> = {}): { q: MessageQueue; calls: string[] } {
  const calls: string[] = [];
  const q = new MessageQueue({ maxQueued: 4, onCallbackError: (err) => calls.push(`error ${String(err)}`), ...options });
  q.attach({ pause: () => calls.push('pause'), resume: () => calls.push('resume') } as unknown as WebSocket);
  return { q, calls };
}

test('pauses at maxQueued, resumes once half have been read, keeps arrival order', async () => {
  const { q, calls } = queue();
  for (const m of ['a', 'b', 'c']) q.push(m);
  expect(calls).toEqual([]);
  q.push('d');
  expect(calls).toEqual(['pause']);
  q.push('e'); // the rest of a chunk still arrives after pause(): kept, no second pause
  expect([q.size, calls]).toEqual([5, ['pause']]);
  expect([await q.read(), await q.read()]).toEqual(['a', 'b']);
  expect(calls).toEqual(['pause']);
  expect(await q.read()).toBe('c'); // 2 left = maxQueued / 2
  expect(calls).toEqual(['pause', 'resume']);
  expect([await q.read(), await q.read()]).toEqual(['d', 'e']);
});

test('a pending read gets the next message; after end() pending and later reads get null, kept messages first', async () => {
  const { q } = queue();
  const pending = [q.read(), q.read()];
  q.push('x');
  expect(await pending[0]).toBe('x');
  q.push('y');
  expect(await pending[1]).toBe('y');
  const waiting = q.read();
  q.end();
  expect(await waiting).toBeNull();

  const { q: q2 } = queue();
  q2.push('kept');
  q2.end();
  expect(await q2.read()).toBe('kept');
  expect(await q2.read()).toBeNull();
  expect(await q2.read()).toBeNull();
});

test('closingStarted() resumes a paused socket; every later arrival is discarded, kept messages stay readable', async () => {
  const { q, calls } = queue({ maxQueued: 2 });
  q.push('1');
  q.push('2');
  expect(calls).toEqual(['pause']);
  q.closingStarted();
  expect(calls).toEqual(['pause', 'resume']);
  q.push('3'); // discarded: the app has closed and is not reading
  q.end();
  expect([await q.read(), await q.read(), await q.read()]).toEqual(['1', '2', null]);
  expect(calls).toEqual(['pause', 'resume']);
});

test('callback style: one at a time while its promise is pending, then the final null; a failure stops delivery', async () => {
  let release: () => void = () => undefined;
  const got: Array<string | Buffer | null> = [];
  const { q, calls } = queue({
    maxQueued: 2,
    onMessage: (m) => {
      got.push(m);
      if (m === 'slow') return new Promise<void>((resolve) => (release = resolve));
      if (m === 'boom') throw new Error('boom');
      return undefined;
    },
  });
  q.push('slow');
  q.push('a');
  q.push('b');
  expect(got).toEqual(['slow']);
  expect(calls).toEqual(['pause']);
  release();
  await Promise.resolve();
  expect(got).toEqual(['slow', 'a', 'b']);
  expect(calls).toEqual(['pause', 'resume']);
  q.push('boom');
  q.push('never');
  expect(calls).toEqual(['pause', 'resume', 'error Error: boom']);
  q.end();
  expect(got).toEqual(['slow', 'a', 'b', 'boom', null]);
});
