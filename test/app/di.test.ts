import { container as rootContainer, inject, injectable, Lifecycle, scoped, singleton } from 'tsyringe';
import { Connection, Gateway, OnClose, OnMessage } from '../../src';
import { startApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { collect, connect, nextMessage } from '../helpers/ws-client';

/**
 * A gateway that answers each message with what it was injected with: its Session, the Session an
 * Auditor (which also depends on it) got, and a @singleton() counter shared by every connection.
 * Fresh for each call, with the gateway instances it constructed.
 */
function injectionReportFixture() {
  const instances = new Set<object>();
  let sessions = 0;

  /** One per connection. */
  @scoped(Lifecycle.ContainerScoped)
  class Session {
    readonly id = ++sessions;
  }

  @singleton()
  class SharedCounter {
    count = 0;
  }

  /** Depends on the Session too: must get the same one as the gateway. */
  @injectable()
  class Auditor {
    constructor(readonly session: Session) {}
  }

  @Gateway('/di')
  class ReportsInjectionsGateway {
    constructor(
      private readonly conn: Connection,
      private readonly session: Session,
      private readonly auditor: Auditor,
      private readonly counter: SharedCounter,
    ) {
      instances.add(this);
    }
    @OnMessage() message(): object {
      this.counter.count++;
      return {
        session: this.session.id,
        auditorSession: this.auditor.session.id,
        count: this.counter.count,
        sameConn: this.conn.request.url === '/di',
      };
    }
  }
  return { ReportsInjectionsGateway, instances };
}

/** A gateway that only takes a Session (fresh for each call), with the ids of the disposed sessions. */
function sessionCountingFixture() {
  const disposed: number[] = [];
  let sessions = 0;
  /** One per connection: disposed when the connection's container is. */
  @scoped(Lifecycle.ContainerScoped)
  class Session {
    readonly id = ++sessions;
    dispose(): void {
      disposed.push(this.id);
    }
  }
  @Gateway('/count')
  class TakesSessionGateway {
    constructor(readonly session: Session) {}
    @OnMessage() message(): void {}
  }
  return { TakesSessionGateway, disposed };
}

async function ask(url: string): Promise<{ session: number; auditorSession: number; count: number; sameConn: boolean }[]> {
  const ws = await connect(url);
  const replies = collect(ws);
  ws.send('1');
  ws.send('2');
  await eventually(() => replies.length === 2, 'two replies');
  ws.close();
  return replies.map((r) => JSON.parse(r as string));
}

describe('dependency injection per connection', () => {
  it('creates one gateway instance per connection, with ContainerScoped services shared within it and not across', async () => {
    const { ReportsInjectionsGateway, instances } = injectionReportFixture();
    const { url } = await startApp([ReportsInjectionsGateway]);
    const [a1, a2] = await ask(url('/di'));
    const [b1] = await ask(url('/di'));
    expect(instances.size).toBe(2);
    expect(a1.session).toBe(a2.session);
    expect(a1.auditorSession).toBe(a1.session);
    expect(b1.session).not.toBe(a1.session);
    expect(b1.auditorSession).toBe(b1.session);
    expect(a1.sameConn).toBe(true);
    // @singleton() is shared by every connection.
    expect([a1.count, a2.count, b1.count]).toEqual([a1.count, a1.count + 1, a1.count + 2]);
  });

  it('disposes the per-connection services after @OnClose, which can still use them', async () => {
    const disposed: number[] = [];
    const closedIds: number[] = [];
    let sessions = 0;
    /** One per connection: disposed when the connection's container is. */
    @scoped(Lifecycle.ContainerScoped)
    class Session {
      readonly id = ++sessions;
      dispose(): void {
        disposed.push(this.id);
      }
    }
    @Gateway('/close-sees-services')
    class UsesSessionOnCloseGateway {
      constructor(private readonly session: Session) {}
      @OnMessage() message(): void {}
      @OnClose() onClose(): void {
        closedIds.push(this.session.id);
      }
    }
    const { url, app } = await startApp([UsesSessionOnCloseGateway]);
    const ws = await connect(url('/close-sees-services'));
    ws.close();
    await eventually(() => disposed.length === 1, 'dispose()');
    expect(closedIds).toHaveLength(1);
    expect(app.connectionCount).toBe(0);
  });

  it('leaves connectionCount 0 and dispose() called 1,000 times after 1,000 connections', async () => {
    const { TakesSessionGateway, disposed } = sessionCountingFixture();
    const { url, app } = await startApp([TakesSessionGateway]);
    const total = 1000;
    const batch = 50;
    for (let i = 0; i < total; i += batch) {
      const clients = await Promise.all(Array.from({ length: batch }, () => connect(url('/count'))));
      expect(app.connectionCount).toBeGreaterThanOrEqual(batch);
      for (const [j, ws] of clients.entries()) {
        if (j % 2) ws.close();
        else ws.terminate(); // half clean closes, half TCP resets
      }
    }
    await eventually(() => app.connectionCount === 0 && disposed.length === total, 'every connection ended and disposed', 15000);
    expect(disposed).toHaveLength(total);
  });

  it('resolves gateways from the container given to createApp', async () => {
    const GREETING = Symbol('greeting');
    @Gateway('/custom-container')
    class GreetsFromContainerGateway {
      constructor(@inject(GREETING) private readonly greeting: string) {}
      @OnMessage() message(m: string): string {
        return `${this.greeting} ${m}`;
      }
    }
    const child = rootContainer.createChildContainer();
    child.register(GREETING, { useValue: 'Hi' });
    const { url } = await startApp([GreetsFromContainerGateway], { container: child });
    const ws = await connect(url('/custom-container'));
    ws.send('there');
    expect((await nextMessage(ws)).data).toBe('Hi there');
  });

  it('runs two apps side by side in one process, each with its own connections', async () => {
    const { ReportsInjectionsGateway } = injectionReportFixture();
    const { TakesSessionGateway } = sessionCountingFixture();
    const one = await startApp([ReportsInjectionsGateway]);
    const two = await startApp([TakesSessionGateway]);
    await connect(one.url('/di'));
    await connect(two.url('/count'));
    await connect(two.url('/count'));
    expect([one.app.connectionCount, two.app.connectionCount]).toEqual([1, 2]);
    expect(one.app.container).not.toBe(two.app.container);
  });
});
