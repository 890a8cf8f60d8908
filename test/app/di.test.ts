import { container as rootContainer, inject, injectable, Lifecycle, scoped, singleton } from 'tsyringe';
import { Connection, Gateway, OnClose, OnMessage } from '../../src';
import { startApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { collect, connect, nextMessage } from '../helpers/ws-client';

let sessionIds = 0;
let disposals = 0;

/** One per connection: disposed when the connection's container is. */
@scoped(Lifecycle.ContainerScoped)
class Session {
  readonly id = ++sessionIds;
  dispose(): void {
    disposals++;
  }
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

const gatewayInstances = new Set<object>();

@Gateway('/di')
class DiGateway {
  constructor(
    private readonly conn: Connection,
    private readonly session: Session,
    private readonly auditor: Auditor,
    private readonly counter: SharedCounter,
  ) {
    gatewayInstances.add(this);
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

@Gateway('/count')
class CountingGateway {
  constructor(readonly session: Session) {}
  @OnMessage() message(): void {}
}

const GREETING = Symbol('greeting');
@Gateway('/custom-container')
class CustomContainerGateway {
  constructor(@inject(GREETING) private readonly greeting: string) {}
  @OnMessage() message(m: string): string {
    return `${this.greeting} ${m}`;
  }
}

const closedIds: number[] = [];
@Gateway('/close-sees-services')
class CloseSeesServicesGateway {
  constructor(private readonly session: Session) {}
  @OnMessage() message(): void {}
  @OnClose() onClose(): void {
    closedIds.push(this.session.id);
  }
}

beforeEach(() => {
  gatewayInstances.clear();
  disposals = 0;
  closedIds.length = 0;
});

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
    const { url } = await startApp([DiGateway]);
    const [a1, a2] = await ask(url('/di'));
    const [b1] = await ask(url('/di'));
    expect(gatewayInstances.size).toBe(2);
    expect(a1.session).toBe(a2.session);
    expect(a1.auditorSession).toBe(a1.session);
    expect(b1.session).not.toBe(a1.session);
    expect(b1.auditorSession).toBe(b1.session);
    expect(a1.sameConn).toBe(true);
    // @singleton() is shared by every connection.
    expect([a1.count, a2.count, b1.count]).toEqual([a1.count, a1.count + 1, a1.count + 2]);
  });

  it('disposes the per-connection services after @OnClose, which can still use them', async () => {
    const { url, app } = await startApp([CloseSeesServicesGateway]);
    const ws = await connect(url('/close-sees-services'));
    ws.close();
    await eventually(() => disposals === 1, 'dispose()');
    expect(closedIds).toHaveLength(1);
    expect(app.connectionCount).toBe(0);
  });

  it('leaves connectionCount 0 and dispose() called 1,000 times after 1,000 connections', async () => {
    const { url, app } = await startApp([CountingGateway]);
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
    await eventually(() => app.connectionCount === 0 && disposals === total, 'every connection ended and disposed', 15000);
    expect(disposals).toBe(total);
  });

  it('resolves gateways from the container given to createApp', async () => {
    const child = rootContainer.createChildContainer();
    child.register(GREETING, { useValue: 'Hi' });
    const { url } = await startApp([CustomContainerGateway], { container: child });
    const ws = await connect(url('/custom-container'));
    ws.send('there');
    expect((await nextMessage(ws)).data).toBe('Hi there');
  });

  it('runs two apps side by side in one process, each with its own connections', async () => {
    const one = await startApp([DiGateway]);
    const two = await startApp([CountingGateway]);
    await connect(one.url('/di'));
    await connect(two.url('/count'));
    await connect(two.url('/count'));
    expect([one.app.connectionCount, two.app.connectionCount]).toEqual([1, 2]);
    expect(one.app.container).not.toBe(two.app.container);
  });
});
