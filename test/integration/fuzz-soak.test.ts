/**
 * Frame fuzzing, soak run: 100 more seeds (1001–1100) × 264 cases = 26,400 sequences on one app,
 * 32 connections at a time, with the same checks as test/fuzz.test.ts (about 35 s on 2 cores).
 */
import { Connection, Gateway, OnMessage } from '../../src';
import { startApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { fuzzFixture } from '../helpers/fuzz-fixture';
import { runFuzz } from '../helpers/fuzz-run';
import { connect, nextMessage } from '../helpers/ws-client';

const SEEDS = Array.from({ length: 100 }, (_, i) => 1001 + i);

it(`answers ${SEEDS.length * 264} fuzzed frame sequences as the oracle predicts`, async () => {
  const { FuzzEchoGateway, mismatches } = fuzzFixture();
  @Gateway('/echo')
  class EchoGateway {
    constructor(private readonly conn: Connection) {}
    @OnMessage() message(m: string): Promise<void> {
      return this.conn.writeMessage(m);
    }
  }
  const { url, port, app, logger } = await startApp([FuzzEchoGateway, EchoGateway]);
  const healthy = await connect(url('/echo'));
  const report = await runFuzz(port, SEEDS, 264, 32);
  expect(report.failures).toEqual([]);
  await eventually(() => app.connectionCount === 1, 'every fuzzed connection to end');
  expect(mismatches(report)).toEqual([]);
  expect(logger.errors).toEqual([]);
  healthy.send('still here');
  expect((await nextMessage(healthy)).data).toBe('still here');
}, 300_000);
