/**
 * Churn, long run: 20,000 connect / message / disconnect cycles (clean closes from either side,
 * TCP resets, FINs without a close frame) in a child process started with --expose-gc.
 * Reproduce the figures by hand with:
 *   node --expose-gc -r ./test/scripts/register-ts.js test/scripts/churn.ts 20000 32
 */
import { runScript } from '../helpers/child';
import { expectNothingLeft, type ChurnResult } from '../helpers/churn';

it('leaves no connection, container or instance behind after 20,000 cycles, heap back within 4 MiB', async () => {
  const result = await runScript<ChurnResult>('churn.ts', [20_000, 32], { nodeFlags: ['--expose-gc'], timeoutMs: 170_000 });
  expectNothingLeft(result, 20_000);
}, 180_000);
