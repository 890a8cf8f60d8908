/**
 * A handshake whose hooks never answer (a guard stuck on a dead database, a hung @CheckOrigin) is
 * answered 503 after handshakeTimeout and releases its connection slot; a late answer is ignored
 * and what the handshake built is still disposed.
 */
import { CheckOrigin, Gateway, injectable, Lifecycle, OnMessage, scoped, type Guard } from '../../src';
import { startApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { rawRequest, upgradeHeaders } from '../helpers/http';

describe('handshakeTimeout bounds the steps of a handshake', () => {
  it('a guard that never answers: 503 after the deadline, logged, and the connection slot is free again', async () => {
    @injectable()
    class Stuck implements Guard {
      authenticate(): Promise<boolean> {
        return new Promise(() => undefined);
      }
    }
    @Gateway('/stuck', { guards: [Stuck] })
    class StuckGateway {
      @OnMessage() echo(m: string): string {
        return m;
      }
    }
    @Gateway('/open')
    class OpenGateway {
      @OnMessage() echo(m: string): string {
        return m;
      }
    }
    const { port, logger } = await startApp([StuckGateway, OpenGateway], { handshakeTimeout: 300, maxConnections: 1 });
    const answer = await rawRequest(port, '/stuck', upgradeHeaders());
    expect(answer.status).toBe(503);
    expect(answer.body).toBe('The handshake took too long.\n');
    expect(logger.warnings).toEqual([
      "wsgate: StuckGateway: a handshake step (the rate limit's store, a guard, @CheckOrigin or @Subprotocol) did not answer within 300 ms: answered 503",
    ]);
    // maxConnections: 1 — the stuck handshake no longer holds the only slot.
    expect((await rawRequest(port, '/open', upgradeHeaders())).status).toBe(101);
  });

  it('a @CheckOrigin that never answers is bounded the same way', async () => {
    @Gateway('/hung')
    class HungOriginGateway {
      @CheckOrigin() check(): Promise<boolean> {
        return new Promise(() => undefined);
      }
      @OnMessage() echo(m: string): string {
        return m;
      }
    }
    const { port } = await startApp([HungOriginGateway], { handshakeTimeout: 200 });
    expect((await rawRequest(port, '/hung', upgradeHeaders({ Origin: 'http://localhost' }))).status).toBe(503);
  });

  it('a guard that answers after the deadline opens nothing, and what the handshake built is disposed', async () => {
    const seen = { disposed: 0, built: 0 };
    @scoped(Lifecycle.ContainerScoped)
    class Session {
      dispose(): void {
        seen.disposed++;
      }
    }
    let answer!: (ok: boolean) => void;
    @injectable()
    class Late implements Guard {
      constructor(readonly session: Session) {}
      authenticate(): Promise<boolean> {
        return new Promise((resolve) => (answer = resolve));
      }
    }
    @Gateway('/late', { guards: [Late] })
    class LateGateway {
      constructor() {
        seen.built++;
      }
      @OnMessage() echo(m: string): string {
        return m;
      }
    }
    const { port, app } = await startApp([LateGateway], { handshakeTimeout: 200 });
    expect((await rawRequest(port, '/late', upgradeHeaders())).status).toBe(503);
    answer(true);
    await eventually(() => seen.disposed === 1, 'the late handshake’s Session to be disposed');
    expect(seen.built).toBe(0);
    expect(app.connectionCount).toBe(0);
  });

  it('app.close() answers a handshake stuck on a hook and clears its deadline (no timer keeps the process alive)', async () => {
    let called!: () => void;
    const guardCalled = new Promise<void>((resolve) => (called = resolve));
    @injectable()
    class Stuck implements Guard {
      authenticate(): Promise<boolean> {
        called();
        return new Promise(() => undefined);
      }
    }
    @Gateway('/stuck-at-close', { guards: [Stuck] })
    class StuckAtCloseGateway {
      @OnMessage() echo(m: string): string {
        return m;
      }
    }
    const { port, app } = await startApp([StuckAtCloseGateway], { handshakeTimeout: 60_000 });
    // Observed, not replaced: the deadline is the one timer armed for handshakeTimeout.
    const armed = jest.spyOn(global, 'setTimeout');
    const cleared = jest.spyOn(global, 'clearTimeout');
    const answer = rawRequest(port, '/stuck-at-close', upgradeHeaders());
    await guardCalled;
    const i = armed.mock.calls.findIndex(([, delay]) => delay === 60_000);
    expect(i).toBeGreaterThanOrEqual(0);
    const deadline = armed.mock.results[i].value as unknown;
    await app.close();
    expect((await answer).status).toBe(503);
    expect(cleared.mock.calls.some(([handle]) => handle === deadline)).toBe(true);
    armed.mockRestore();
    cleared.mockRestore();
  });
});
