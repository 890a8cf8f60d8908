/**
 * Handler faults under load: every hook throwing (sync and async) on many connections at once,
 * while bystanders keep echoing. close.test.ts checks each fault's answer on one connection;
 * this checks that they stay contained when they pile up.
 */
import WebSocket from 'ws';
import { CheckOrigin, Connection, Gateway, OnClose, OnMessage, OnOpen, OnPing, OnPong, Subprotocol } from '../../src';
import { Lifecycle, scoped } from 'tsyringe';
import { startApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { onCleanup } from '../helpers/cleanup';
import { connect, nextMessage } from '../helpers/ws-client';

const HOOKS = ['checkOrigin', 'subprotocol', 'open', 'message', 'ping', 'pong', 'close'] as const;
type Hook = (typeof HOOKS)[number];

/** Opens a connection to /faulty/hook/how, triggers the hook, and reports how the connection ended. */
async function provoke(base: string, hook: Hook, how: string): Promise<string> {
  const ws = new WebSocket(`${base}/faulty/${hook}/${how}`, { origin: 'http://app.test' });
  onCleanup(() => ws.terminate());
  ws.on('error', () => undefined);
  const opened = await new Promise<number>((resolve) => {
    ws.once('open', () => resolve(101));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
  });
  if (opened !== 101) return `HTTP ${opened}`;
  const ended = new Promise<string>((resolve) => ws.once('close', (code: number) => resolve(`close ${code}`)));
  if (hook === 'message') ws.send('boom');
  if (hook === 'ping') ws.ping('boom');
  if (hook === 'pong') ws.pong('boom');
  if (hook === 'close') ws.close(1000);
  return ended;
}

const EXPECTED: Record<Hook, string> = {
  checkOrigin: 'HTTP 500',
  subprotocol: 'HTTP 500',
  open: 'close 1011',
  message: 'close 1011',
  ping: 'close 1011',
  pong: 'close 1011',
  close: 'close 1000', // the close handshake completes; the error is only logged
};
const LABEL: Record<Hook, string> = {
  checkOrigin: 'CheckOrigin',
  subprotocol: 'Subprotocol',
  open: 'OnOpen',
  message: 'OnMessage',
  ping: 'OnPing',
  pong: 'OnPong',
  close: 'OnClose',
};

it('contains 140 faults in every hook, sync and async, while bystanders keep echoing', async () => {
  let created = 0;
  let disposed = 0;
  let closes = 0;

  @scoped(Lifecycle.ContainerScoped)
  class Tracked {
    constructor() {
      created++;
    }
    dispose(): void {
      disposed++;
    }
  }

  /** Throws from the hook named by the :hook path parameter, synchronously or from a promise (:how). */
  @Gateway('/faulty/:hook/:how')
  class FaultyGateway {
    constructor(
      private readonly conn: Connection,
      readonly tracked: Tracked,
    ) {}
    private maybeFail(hook: Hook): void | Promise<void> {
      if (this.conn.params.hook !== hook) return undefined;
      const error = new Error(`${hook} exploded`);
      if (this.conn.params.how === 'sync') throw error;
      return Promise.reject(error);
    }
    @CheckOrigin() checkOrigin(): boolean | Promise<boolean> {
      const r = this.maybeFail('checkOrigin');
      return r ? r.then(() => true) : true;
    }
    @Subprotocol() subprotocol(): null | Promise<null> {
      const r = this.maybeFail('subprotocol');
      return r ? r.then(() => null) : null;
    }
    @OnOpen() open(): void | Promise<void> {
      return this.maybeFail('open');
    }
    @OnMessage() message(m: string): void | Promise<void> {
      return this.maybeFail('message') ?? this.conn.writeMessage(m);
    }
    @OnPing() ping(): void | Promise<void> {
      return this.maybeFail('ping');
    }
    @OnPong() pong(): void | Promise<void> {
      return this.maybeFail('pong');
    }
    @OnClose() close(): void | Promise<void> {
      closes++;
      return this.maybeFail('close');
    }
  }

  const { app, port, logger } = await startApp([FaultyGateway]);
  const base = `ws://127.0.0.1:${port}`;
  const bystanders = await Promise.all([1, 2, 3].map(() => connect(`${base}/faulty/none/sync`, undefined, { origin: 'http://app.test' })));
  const cases = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].flatMap(() => HOOKS.flatMap((hook) => ['sync', 'async'].map((how) => ({ hook, how }))));

  let storming = true;
  let rounds = 0;
  const meanwhile = (async () => {
    while (storming) {
      for (const [i, ws] of bystanders.entries()) {
        ws.send(`round ${rounds} from ${i}`);
        expect((await nextMessage(ws)).data).toBe(`round ${rounds} from ${i}`);
      }
      rounds++;
    }
  })();
  const outcomes = await Promise.all(cases.map(({ hook, how }) => provoke(base, hook, how)));
  storming = false;
  await meanwhile;

  expect(outcomes).toEqual(cases.map(({ hook }) => EXPECTED[hook]));
  expect(rounds).toBeGreaterThan(0);
  // Every opened faulty connection ran @OnClose once; every instance, refused or not, was disposed.
  const opened = cases.filter(({ hook }) => hook !== 'checkOrigin' && hook !== 'subprotocol').length;
  await eventually(() => closes === opened && app.connectionCount === bystanders.length, 'the faulty connections to end');
  await eventually(() => disposed === created - bystanders.length, 'their containers to be disposed');
  expect(created).toBe(cases.length + bystanders.length);
  // One log line per fault, naming the gateway and the hook.
  for (const hook of HOOKS) {
    const lines = logger.errors.filter((l) => l.includes(`FaultyGateway.${hook} (@${LABEL[hook]}) failed`));
    expect(lines).toHaveLength(20);
    expect(lines.every((l) => l.includes(`${hook} exploded`))).toBe(true);
  }
  expect(logger.errors).toHaveLength(cases.length);
  for (const ws of bystanders) {
    ws.send('after the storm');
    expect((await nextMessage(ws)).data).toBe('after the storm');
  }
});
