/**
 * app.close() under user code that does not cooperate: an @OnClose that never settles, an @OnClose
 * that awaits its own conn.close(), app.close() awaited inside a handler, and listen() failing.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { connect as tcpConnect, type AddressInfo } from 'node:net';
import { Lifecycle, scoped } from 'tsyringe';
import { BrokerError, CheckOrigin, Connection, createApp, Gateway, OnClose, OnMessage, type App, type Broker } from '../../src';
import { memoryLogger, startApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { onCleanup } from '../helpers/cleanup';
import { rawRequest, upgradeHeaders } from '../helpers/http';
import { closed, connect, nextMessage } from '../helpers/ws-client';

/** Resolves with the error code of a TCP connect attempt ('' when it connected). */
async function connectError(port: number): Promise<string> {
  const socket = tcpConnect(port, '127.0.0.1');
  onCleanup(() => socket.destroy());
  try {
    await once(socket, 'connect');
    return '';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? 'unknown';
  }
}

/** A MemoryBroker-like broker that records whether it was closed, and can fail its first start. */
class ProbeBroker implements Broker {
  closed = false;
  starts = 0;
  constructor(private readonly failFirstStart = false) {}
  start(): Promise<void> {
    this.starts++;
    return this.failFirstStart && this.starts === 1 ? Promise.reject(new BrokerError('cannot connect')) : Promise.resolve();
  }
  publish(): Promise<void> {
    return Promise.resolve();
  }
  subscribe(): Promise<void> {
    return Promise.resolve();
  }
  unsubscribe(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

describe('app.close({ timeout }) bounds user code', () => {
  it('resolves at the deadline while an @OnClose never settles, logs that hook, and closes its server and broker', async () => {
    /** One per connection, with a dispose() for the connection's end to call. */
    @scoped(Lifecycle.ContainerScoped)
    class Session {
      dispose(): void {}
    }
    @Gateway('/stuck-close')
    class StuckOnCloseGateway {
      constructor(readonly session: Session) {}
      @OnMessage() echo(m: string): string {
        return m;
      }
      @OnClose() onClose(): Promise<void> {
        return new Promise(() => undefined); // never settles
      }
    }
    const broker = new ProbeBroker();
    const { app, port, url, logger } = await startApp([StuckOnCloseGateway], { broker, closeTimeout: 60_000 });
    const ws = await connect(url('/stuck-close'));
    const end = closed(ws);
    // Resolving at all is the point: before, this awaited the hook for ever (the test timed out).
    await app.close({ timeout: 200 });
    expect(await end).toEqual({ code: 1001, reason: 'Going Away' });
    expect(logger.errors).toEqual([expect.stringContaining('StuckOnCloseGateway.onClose (@OnClose) had not settled after 200 ms')]);
    expect(broker.closed).toBe(true);
    expect(await connectError(port)).toBe('ECONNREFUSED');
  });
});

describe('app.close() and handshakes held by a hook', () => {
  it('answers 503 to a handshake whose @CheckOrigin never settles, and closes its server', async () => {
    let checking = 0;
    @Gateway('/stuck-origin')
    class StuckOriginGateway {
      @CheckOrigin() check(): Promise<boolean> {
        checking++;
        return new Promise(() => undefined); // never settles
      }
      @OnMessage() echo(m: string): string {
        return m;
      }
    }
    const { app, port } = await startApp([StuckOriginGateway], { closeTimeout: 60_000 });
    const answer = rawRequest(port, '/stuck-origin', upgradeHeaders({ Host: `127.0.0.1:${port}`, Origin: 'http://elsewhere.test' }));
    await eventually(() => checking === 1, '@CheckOrigin to be called');
    await app.close({ timeout: 100 });
    expect((await answer).status).toBe(503);
    expect(await connectError(port)).toBe('ECONNREFUSED');
  });
});

/**
 * A gateway (fresh for each call) whose @OnClose awaits its own conn.close(), with a ContainerScoped
 * Session; observed: how many of those @OnClose hooks finished and how many sessions were disposed.
 */
function selfClosingFixture() {
  const counts = { closeHooks: 0, disposed: 0 };
  /** One per connection. */
  @scoped(Lifecycle.ContainerScoped)
  class Session {
    dispose(): void {
      counts.disposed++;
    }
  }
  @Gateway('/self-close')
  class SelfClosingGateway {
    constructor(
      private readonly conn: Connection,
      readonly session: Session,
    ) {}
    @OnMessage() echo(m: string): string {
      return m;
    }
    @OnClose() async onClose(): Promise<void> {
      await this.conn.close(); // tornado: a no-op once closed
      counts.closeHooks++;
    }
  }
  return { SelfClosingGateway, counts };
}

describe('close() during @OnClose', () => {

  it('resolves at once: the connection is uncounted, its container disposed, and its maxConnections slot freed', async () => {
    const { SelfClosingGateway, counts } = selfClosingFixture();
    const { app, port, url } = await startApp([SelfClosingGateway], { maxConnections: 1, closeTimeout: 60_000 });
    const first = await connect(url('/self-close'));
    first.close(1000);
    await eventually(() => counts.closeHooks === 1, '@OnClose to finish');
    await eventually(() => app.connectionCount === 0 && counts.disposed === 1, 'the connection uncounted and disposed');
    expect((await rawRequest(port, '/self-close', upgradeHeaders({ Host: `127.0.0.1:${port}` }))).status).toBe(101);
  });

  it('lets app.close() finish without waiting for its timeout', async () => {
    const { SelfClosingGateway, counts } = selfClosingFixture();
    const { app, url } = await startApp([SelfClosingGateway], { closeTimeout: 60_000 });
    const ws = await connect(url('/self-close'));
    const end = closed(ws);
    let done = false;
    void app.close().then(() => (done = true));
    expect(await end).toEqual({ code: 1001, reason: 'Going Away' });
    await eventually(() => done, 'app.close() to resolve (its timeout is 60 s)');
    expect(counts.closeHooks).toBe(1);
    expect(counts.disposed).toBe(1);
  });
});

describe('app.close() awaited inside a handler', () => {
  it("resolves once every connection ended, without waiting for the disposal of the handler's own connection", async () => {
    let current: App | undefined;
    let disposed = 0;
    let handlerDone = 0;
    /** One per connection. */
    @scoped(Lifecycle.ContainerScoped)
    class Session {
      dispose(): void {
        disposed++;
      }
    }
    @Gateway('/shutdown')
    class ClosesAppInHandlerGateway {
      constructor(readonly session: Session) {}
      @OnMessage() async stop(): Promise<void> {
        await current!.close();
        handlerDone++;
      }
    }
    const { app, url } = await startApp([ClosesAppInHandlerGateway], { closeTimeout: 60_000 });
    current = app;
    const caller = await connect(url('/shutdown'));
    const other = await connect(url('/shutdown'));
    const ends = [closed(caller), closed(other)];
    caller.send('stop');
    // Before, the handler waited for its own connection's disposal, which waited for the handler: 60 s.
    await eventually(() => handlerDone === 1, 'the handler to get past app.close()');
    expect(await Promise.all(ends)).toEqual([
      { code: 1001, reason: 'Going Away' },
      { code: 1001, reason: 'Going Away' },
    ]);
    await eventually(() => disposed === 2, "the handler's container disposed after it returned");
  });
});

describe('listen() that fails', () => {
  @Gateway('/plain')
  class EchoGateway {
    @OnMessage() echo(m: string): string {
      return m;
    }
  }

  it('leaves the app as it was when the broker cannot connect: a second listen() starts the broker again and serves', async () => {
    const broker = new ProbeBroker(true);
    const app = createApp({ gateways: [EchoGateway], broker, logger: memoryLogger() });
    onCleanup(() => app.close());
    await expect(app.listen(0, '127.0.0.1')).rejects.toThrow(BrokerError);
    // Not "already listening", and not the first start's failure kept: the broker is asked again.
    const { port } = await app.listen(0, '127.0.0.1');
    expect(broker.starts).toBe(2);
    const ws = await connect(`ws://127.0.0.1:${port}/plain`);
    ws.send('serving after the retry');
    expect((await nextMessage(ws)).data).toBe('serving after the retry');
  });

  it('leaves the app as it was when the port is taken: a second listen() on a free port serves', async () => {
    const taken = createServer();
    onCleanup(() => new Promise((resolve) => taken.close(resolve)));
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port: busy } = taken.address() as AddressInfo;
    const app = createApp({ gateways: [EchoGateway], logger: memoryLogger() });
    onCleanup(() => app.close());
    await expect(app.listen(busy, '127.0.0.1')).rejects.toThrow(/EADDRINUSE/);
    const { port } = await app.listen(0, '127.0.0.1');
    const ws = await connect(`ws://127.0.0.1:${port}/plain`);
    ws.send('still serving');
    expect((await nextMessage(ws)).data).toBe('still serving');
  });
});
