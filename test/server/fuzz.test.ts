/**
 * Frame fuzzing: 20 fixed seeds × 264 cases, each checked against the oracle in helpers/fuzz.ts
 * (about 10 s on 2 cores). test/integration/fuzz-soak.test.ts runs 100 more seeds.
 * To replay one failing case: buildCase(seed, index, FUZZ_MAX_MESSAGE) gives its bytes.
 */
import { Connection, Gateway, OnMessage } from '../../src';
import { startApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { CATEGORIES } from '../helpers/fuzz';
import { fuzzFixture } from '../helpers/fuzz-fixture';
import { runFuzz } from '../helpers/fuzz-run';
import { connect, nextMessage } from '../helpers/ws-client';

const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);
const CASES_PER_SEED = 264; // 12 of each of the 22 categories per seed

it(`answers ${SEEDS.length * CASES_PER_SEED} fuzzed frame sequences as the oracle predicts, and keeps serving`, async () => {
  const fuzz = fuzzFixture();

  @Gateway('/echo')
  class EchoGateway {
    constructor(private readonly conn: Connection) {}
    @OnMessage() message(m: string): Promise<void> {
      return this.conn.writeMessage(m);
    }
  }
  const { url, port, app, logger } = await startApp([fuzz.FuzzEchoGateway, EchoGateway]);
  const healthy = await connect(url('/echo'));
  healthy.send('before');
  expect((await nextMessage(healthy)).data).toBe('before');

  // The healthy client keeps round-tripping while the fuzzer runs.
  let fuzzing = true;
  let roundTrips = 0;
  const meanwhile = (async () => {
    while (fuzzing) {
      healthy.send(`during ${roundTrips}`);
      if ((await nextMessage(healthy)).data !== `during ${roundTrips}`) throw new Error('healthy echo corrupted');
      roundTrips++;
    }
  })();
  const report = await runFuzz(port, SEEDS, CASES_PER_SEED, 24);
  fuzzing = false;
  await meanwhile;
  expect(report.failures).toEqual([]);
  expect(roundTrips).toBeGreaterThan(0);

  // Server side: @OnOpen and @OnClose exactly once per case, with the close code the peer sent.
  await eventually(() => app.connectionCount === 1, 'every fuzzed connection to end');
  expect(fuzz.mismatches(report)).toEqual([]);
  expect(logger.errors).toEqual([]);
  expect(logger.warnings).toEqual([]);

  // Not hollow: every fault was tried and every kind of ending was reached.
  for (const k of CATEGORIES) expect(report.byCategory[k]).toBeGreaterThanOrEqual(2 * SEEDS.length);
  for (const ending of ['error 1002', 'error 1007', 'error 1009', 'close', 'open', 'incomplete']) {
    expect(report.byEnding[ending]).toBeGreaterThan(0);
  }

  healthy.send('after');
  expect((await nextMessage(healthy)).data).toBe('after');
}, 60_000);
