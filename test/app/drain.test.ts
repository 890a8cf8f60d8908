/**
 * app.close({ drain: true }): reading stops, handlers already running finish and their replies
 * arrive before the close frame; messages that were waiting are never delivered.
 */
import { Connection, Gateway, OnMessage } from '../../src';
import { startApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { closed, collect, connect } from '../helpers/ws-client';

/**
 * A gateway (fresh for each call) whose handler records the message and then waits until release()
 * is called, with the messages whose handler started.
 */
function slowWorkFixture() {
  const started: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  @Gateway('/work')
  class SlowWorkGateway {
    constructor(readonly conn: Connection) {}
    @OnMessage() async work(m: string): Promise<string> {
      started.push(m);
      await gate;
      return `done: ${m}`;
    }
  }
  return { SlowWorkGateway, started, release };
}

describe('app.close({ drain: true })', () => {
  it('with requests in flight on 100 connections: every running handler’s reply arrives before the 1001, waiting messages are dropped', async () => {
    const { SlowWorkGateway, started, release } = slowWorkFixture();
    const { app, url, logger } = await startApp([SlowWorkGateway], { closeTimeout: 60_000 });
    const clients = await Promise.all(Array.from({ length: 100 }, () => connect(url('/work'))));
    const ends = clients.map((ws) => closed(ws));
    clients.forEach((ws, i) => {
      ws.send(`first ${i}`);
      ws.send(`second ${i}`); // waits behind the running handler
    });
    await eventually(() => started.length === 100, '100 handlers running');

    const closing = app.close({ drain: true, timeout: 10_000 });
    release();
    await closing;

    const results = await Promise.all(ends);
    results.forEach((r) => expect(r).toEqual({ code: 1001, reason: 'Going Away' }));
    clients.forEach((ws, i) => expect(collect(ws)).toEqual([`done: first ${i}`]));
    expect(started.filter((m) => m.startsWith('second'))).toEqual([]);
    expect(app.connectionCount).toBe(0);
    expect(logger.errors).toEqual([]);
  });

  it('closes at the deadline when a handler does not finish, and says which gateway', async () => {
    const { SlowWorkGateway, started, release } = slowWorkFixture();
    const { app, url, logger } = await startApp([SlowWorkGateway], { closeTimeout: 60_000 });
    const ws = await connect(url('/work'));
    const end = closed(ws);
    ws.send('never done');
    await eventually(() => started.length === 1, 'the handler running');
    await app.close({ drain: true, timeout: 200 });
    expect(await end).toEqual({ code: 1001, reason: 'Going Away' });
    expect(collect(ws)).toEqual([]);
    expect(logger.warnings).toEqual([expect.stringContaining('a handler of SlowWorkGateway was still running after 200 ms of drain')]);
    release();
  });
});
