/**
 * Churn, short run (2,000 cycles in a child process with --expose-gc); the 20,000-cycle run is
 * test/integration/churn.test.ts. Both run test/scripts/churn.ts and check the same things.
 */
import { expectNothingLeft, type ChurnResult } from '../helpers/churn';
import { runScript } from '../helpers/child';

it('leaves no connection, container or instance behind after 2,000 connect/message/disconnect cycles', async () => {
  const result = await runScript<ChurnResult>('churn.ts', [2000, 32], { nodeFlags: ['--expose-gc'] });
  expectNothingLeft(result, 2000);
}, 60_000);
