/**
 * The connection's DI scope, over real sockets, on both ways of building a gateway: from a plan
 * (no tsyringe child container per connection) and from a child container (what the plan cannot
 * prove equivalent, here a factory registration).
 */
import { container as rootContainer, inject, injectable, Lifecycle, scoped, singleton, type DependencyContainer } from 'tsyringe';
import { CheckOrigin, Connection, Gateway, Hub, OnClose, OnMessage, OnOpen, Subprotocol } from '../../src';
import { startApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { rawRequest, upgradeHeaders } from '../helpers/http';
import { connect, nextMessage } from '../helpers/ws-client';

/** Counts the child containers made from `container` from now on (tsyringe itself, observed, not replaced). */
function countChildContainers(container: DependencyContainer): () => number {
  const spy = jest.spyOn(container, 'createChildContainer');
  return () => spy.mock.calls.length;
}

describe('a gateway that needs nothing per connection but Connection', () => {
  let built = 0;
  @singleton()
  class Registry {
    readonly id = Math.random();
  }
  const GREETING = Symbol('greeting');
  const events: string[] = [];

  @Gateway('/shared')
  class SingletonOnlyGateway {
    constructor(
      private readonly conn: Connection,
      readonly registry: Registry,
      private readonly hub: Hub,
      @inject(GREETING) private readonly greeting: string,
    ) {
      built++;
    }
    @CheckOrigin() origin(origin: string): boolean {
      events.push(`origin ${origin} ${this.conn.request.url}`);
      return true;
    }
    @Subprotocol() protocol(offered: string[]): string {
      return offered[offered.length - 1];
    }
    @OnOpen() open(): void {
      events.push(`open ${this.conn.selectedSubprotocol}`);
    }
    @OnMessage() message(): string {
      return `${this.greeting} ${this.registry.id} ${this.hub instanceof Hub}`;
    }
    @OnClose() close(): void {
      events.push('close');
    }
  }

  beforeEach(() => {
    built = 0;
    events.length = 0;
  });

  it('gets its singletons, values and Connection, runs its hooks, and makes no child container per connection', async () => {
    const container = rootContainer.createChildContainer();
    container.register(GREETING, { useValue: 'hello' });
    const { url, app } = await startApp([SingletonOnlyGateway], { container });
    const children = countChildContainers(app.container);
    const replies: string[] = [];
    for (let i = 0; i < 3; i++) {
      const ws = await connect(url('/shared?n=1'), ['a', 'b'], { origin: 'http://o.test' });
      ws.send('hi');
      replies.push(String((await nextMessage(ws)).data));
      ws.close();
    }
    await eventually(() => events.filter((e) => e === 'close').length === 3, 'three @OnClose');
    expect(built).toBe(3);
    expect(new Set(replies)).toEqual(new Set([`hello ${rootContainer.resolve(Registry).id} true`]));
    expect(events.filter((e) => e !== 'close')).toEqual(Array(3).fill(['origin http://o.test /shared?n=1', 'open b']).flat());
    // One child container made once for the gateway (to resolve its shared dependencies), none per connection.
    expect(children()).toBeLessThanOrEqual(1);
  });

  it('does not dispose a @singleton with dispose() when the connection that first needed it closes', async () => {
    let disposed = 0;
    @singleton()
    class Pool {
      dispose(): void {
        disposed++;
      }
    }
    /** Disposed with the connection: its disposal is the event to wait for. */
    @scoped(Lifecycle.ContainerScoped)
    class Marker {
      dispose(): void {
        events.push('marker disposed');
      }
    }
    @Gateway('/pool')
    class PoolGateway {
      constructor(
        readonly pool: Pool,
        readonly marker: Marker,
      ) {}
      @OnMessage() message(): void {}
    }
    const { url } = await startApp([PoolGateway]);
    const ws = await connect(url('/pool'));
    ws.close();
    await eventually(() => events.includes('marker disposed'), 'the connection disposed');
    expect(disposed).toBe(0);
  });
});

describe.each([
  ['from a plan', false],
  ['from a child container', true],
])('a gateway with per-connection services, built %s', (_how, withFactory) => {
  let sessions = 0;
  const log: string[] = [];
  @scoped(Lifecycle.ContainerScoped)
  class Session {
    readonly id = ++sessions;
    constructor(readonly conn: Connection) {}
    dispose(): void {
      log.push(`dispose session ${this.id}`);
    }
  }
  @injectable()
  class Auditor {
    constructor(readonly session: Session) {}
  }
  @singleton()
  class Counter {
    count = 0;
  }
  const CLOCK = Symbol('clock');

  @Gateway('/scoped')
  class ScopedGateway {
    constructor(
      private readonly conn: Connection,
      private readonly session: Session,
      private readonly auditor: Auditor,
      private readonly counter: Counter,
      @inject(CLOCK) private readonly clock: () => number,
    ) {}
    @OnMessage() message(): object {
      return {
        session: this.session.id,
        auditorSession: this.auditor.session.id,
        sameConn: this.session.conn === this.conn,
        count: ++this.counter.count,
        clock: this.clock(),
      };
    }
    @OnClose() close(): void {
      log.push(`close session ${this.session.id}`);
    }
    dispose(): void {
      log.push(`dispose gateway ${this.session.id}`);
    }
  }

  beforeEach(() => {
    log.length = 0;
  });

  async function start(): Promise<{ url: (p: string) => string; children: () => number }> {
    const container = rootContainer.createChildContainer();
    if (withFactory) container.register(CLOCK, { useFactory: () => () => 42 });
    else container.register(CLOCK, { useValue: () => 42 });
    const { url, app } = await startApp([ScopedGateway], { container });
    return { url, children: countChildContainers(app.container) };
  }

  it('has one ContainerScoped service per connection, shared within it, and singletons shared by all', async () => {
    const { url, children } = await start();
    const replies: { session: number; auditorSession: number; sameConn: boolean; count: number; clock: number }[] = [];
    for (let i = 0; i < 2; i++) {
      const ws = await connect(url('/scoped'));
      for (let j = 0; j < 2; j++) {
        ws.send('x');
        replies.push(JSON.parse(String((await nextMessage(ws)).data)));
      }
      ws.close();
    }
    const [a1, a2, b1, b2] = replies;
    expect([a1.session, a2.session, a1.auditorSession]).toEqual([a1.session, a1.session, a1.session]);
    expect([b1.session, b2.session, b1.auditorSession]).toEqual([b1.session, b1.session, b1.session]);
    expect(b1.session).not.toBe(a1.session);
    expect(replies.every((r) => r.sameConn && r.clock === 42)).toBe(true);
    expect(replies.map((r) => r.count - a1.count)).toEqual([0, 1, 2, 3]);
    if (withFactory) expect(children()).toBeGreaterThanOrEqual(2);
    else expect(children()).toBeLessThanOrEqual(1);
  });

  it('disposes the per-connection services and the gateway after @OnClose', async () => {
    const { url } = await start();
    const ws = await connect(url('/scoped'));
    ws.send('x');
    const { session } = JSON.parse(String((await nextMessage(ws)).data)) as { session: number };
    ws.close();
    await eventually(() => log.length === 3, '@OnClose and two disposals');
    expect(log).toEqual([`close session ${session}`, `dispose session ${session}`, `dispose gateway ${session}`]);
  });
});

describe('a planned gateway refused or failing at the handshake', () => {
  const log: string[] = [];
  @scoped(Lifecycle.ContainerScoped)
  class Lease {
    dispose(): void {
      log.push('lease disposed');
    }
  }
  @Gateway('/refuse')
  class RefusingGateway {
    constructor(readonly lease: Lease) {}
    @CheckOrigin() origin(): boolean {
      return false;
    }
    @OnMessage() message(): void {}
  }
  @Gateway('/explode')
  class ExplodingGateway {
    constructor(readonly lease: Lease) {
      throw new Error('constructor exploded');
    }
    @OnMessage() message(): void {}
  }

  beforeEach(() => {
    log.length = 0;
  });

  it('disposes the services it built when @CheckOrigin refuses', async () => {
    const { port } = await startApp([RefusingGateway]);
    const res = await rawRequest(port, '/refuse', upgradeHeaders({ Origin: 'http://x.test' }));
    expect(res.status).toBe(403);
    await eventually(() => log.length === 1, 'disposal');
    expect(log).toEqual(['lease disposed']);
  });

  it('answers 500, logs, and disposes what was built when the gateway constructor throws', async () => {
    const { port, logger } = await startApp([ExplodingGateway]);
    const res = await rawRequest(port, '/explode', upgradeHeaders());
    expect(res.status).toBe(500);
    expect(logger.errors.join('\n')).toMatch(/ExplodingGateway: could not create the gateway instance: Error: constructor exploded/);
    await eventually(() => log.length === 1, 'disposal');
    expect(log).toEqual(['lease disposed']);
  });
});
