/**
 * Flood: 20,000 messages of 1 KiB written as fast as possible to a handler that awaits a 1 ms
 * timer per message (about 25 s). The server must pause the socket and hold about
 * maxQueuedMessages messages, process every message in order, and drop none.
 * Reproduce the figures by hand with:
 *   node --expose-gc -r ./test/scripts/register-ts.js test/scripts/flood.ts 20000 1024 64
 * With pausing disabled (maxQueuedMessages 1000000 instead of 64) the same run holds ~20 MiB.
 */
import { runScript } from '../helpers/child';

interface FloodResult {
  count: number;
  processed: number;
  outOfOrder: number;
  wrongSize: number;
  clientExit: number | null;
  client: Array<{ queued?: number; reply?: string }>;
  busySamples: number;
  peakLiveDeltaMiB: number;
  peakRssDeltaMiB: number;
  errors: string[];
}

it('holds a bounded backlog under a 20,000 × 1 KiB flood and processes every message in order', async () => {
  const r = await runScript<FloodResult>('flood.ts', [20_000, 1024, 64], { nodeFlags: ['--expose-gc'], timeoutMs: 170_000 });
  expect(r.processed).toBe(20_000);
  expect(r.outOfOrder).toBe(0);
  expect(r.wrongSize).toBe(0);
  expect(r.client).toEqual([{ queued: 20_000, bufferedAmount: expect.any(Number) }, { reply: 'done 20000' }]);
  expect(r.clientExit).toBe(0);
  // Measured while more than 1,000 messages were still waiting (most of the run).
  expect(r.busySamples).toBeGreaterThanOrEqual(10);
  // 64 queued messages of 1 KiB plus ws's and Node's socket buffers are well under 1 MiB;
  // without the pause the server would hold the whole 20 MiB backlog.
  expect(r.peakLiveDeltaMiB).toBeLessThan(4);
  expect(r.peakRssDeltaMiB).toBeLessThan(48);
  expect(r.errors).toEqual([]);
}, 180_000);
