/** The inbound queue both ends use, on its own (no sockets): bound, pause/resume at half, discard after close(). */
import { InboundQueue } from '../../src/connection/inbound-queue';

function queue(max = 4): { q: InboundQueue<string>; calls: string[] } {
  const calls: string[] = [];
  const q = new InboundQueue<string>(max);
  q.attach({ pause: () => calls.push('pause'), resume: () => calls.push('resume') });
  return { q, calls };
}

test('pauses at the bound, resumes once half is free, keeps arrival order', () => {
  const { q, calls } = queue(4);
  for (const m of ['a', 'b', 'c']) q.push(m);
  expect(calls).toEqual([]);
  q.push('d');
  expect(calls).toEqual(['pause']);
  q.push('e'); // the rest of a chunk after pause(): kept, no second pause
  expect([q.size, q.shift(), q.shift(), calls]).toEqual([5, 'a', 'b', ['pause']]);
  expect(q.shift()).toBe('c'); // 2 left = half the bound
  expect(calls).toEqual(['pause', 'resume']);
  expect([q.shift(), q.shift(), q.shift()]).toEqual(['d', 'e', undefined]);
});

test('after startDiscarding() a paused socket reads again and every arrival is discarded; waiting messages stay', () => {
  const { q, calls } = queue(2);
  q.push('1');
  q.push('2');
  q.startDiscarding();
  expect(calls).toEqual(['pause', 'resume']);
  for (let i = 0; i < 10_000; i++) q.push('late');
  expect(q.size).toBe(2);
  expect(calls).toEqual(['pause', 'resume']); // never paused again
  expect([q.shift(), q.shift(), q.shift()]).toEqual(['1', '2', undefined]);
});

test('clear() drops what waits and resumes a paused socket', () => {
  const { q, calls } = queue(2);
  q.push('1');
  q.push('2');
  q.clear();
  expect([q.size, q.shift(), calls]).toEqual([0, undefined, ['pause', 'resume']]);
});

test('a long queue keeps its order across compaction', () => {
  const { q } = queue(100_000);
  for (let i = 0; i < 5000; i++) q.push(String(i));
  const out: string[] = [];
  for (let i = 0; i < 3000; i++) out.push(q.shift()!);
  for (let i = 5000; i < 6000; i++) q.push(String(i));
  let m: string | undefined;
  while ((m = q.shift()) !== undefined) out.push(m);
  expect(out).toEqual(Array.from({ length: 6000 }, (_, i) => String(i)));
});
