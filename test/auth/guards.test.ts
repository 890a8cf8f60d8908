/**
 * Handshake guards over real sockets: every status path (with a hand-written request, the ws
 * client and websocketConnect), guard order and the principal they pass on, guards injecting
 * services, and that nothing of a refused connection survives (no instance, no @OnOpen, disposed).
 */
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { container as rootContainer } from 'tsyringe';
import {
  Connection,
  createApp,
  Gateway,
  GatewayDefinitionError,
  HandshakeRejection,
  inject,
  injectable,
  Lifecycle,
  OnClose,
  OnMessage,
  OnOpen,
  Principal,
  scoped,
  singleton,
  WebSocketHandshakeError,
  websocketConnect,
  type Guard,
  type GuardResult,
  type Handshake,
} from '../../src';
import { startApp } from '../helpers/app';
import { rejectionOf } from '../helpers/client';
import { onCleanup } from '../helpers/cleanup';
import { eventually } from '../helpers/eventually';
import { rawRequest, upgradeHeaders } from '../helpers/http';
import { closed, connect, nextMessage } from '../helpers/ws-client';

interface User {
  readonly id: string;
  readonly name: string;
}

/** What a test's gateway and guards saw. */
function journal() {
  return { events: [] as string[], built: 0, disposed: 0 };
}

/** A bearer-token guard: `alice` and `bob` are users, anything else is refused with 401. */
function bearerGuard(j: ReturnType<typeof journal>) {
  @injectable()
  class BearerAuth implements Guard<User> {
    authenticate(h: Handshake<User>): GuardResult<User> {
      j.events.push(`bearer ${h.bearerToken ?? '-'}`);
      if (h.bearerToken === 'alice' || h.bearerToken === 'bob') return { principal: { id: h.bearerToken, name: h.bearerToken.toUpperCase() } };
      throw new HandshakeRejection(401, 'token required', { 'WWW-Authenticate': 'Bearer realm="chat"' });
    }
  }
  return BearerAuth;
}

/** A gateway guarded by `guards` that answers `who` with its principal's name. */
function guardedGateway(j: ReturnType<typeof journal>, guards: Array<new (...a: never[]) => Guard>, extra: object = {}) {
  @Gateway('/guarded/:room', { guards, ...extra })
  class GuardedGateway {
    constructor(private readonly conn: Connection<never, User>) {
      j.built++;
    }
    @OnOpen() open(): void {
      j.events.push('open');
    }
    @OnMessage() who(): string {
      return `${this.conn.principal?.name ?? 'nobody'} in ${this.conn.params.room}`;
    }
    @OnClose() close(): void {
      j.events.push('close');
    }
  }
  return GuardedGateway;
}

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

describe('guards: each answer over a real socket', () => {
  it('a HandshakeRejection answers its status, headers and message; no instance is built, no @OnOpen runs', async () => {
    const j = journal();
    const { port, url } = await startApp([guardedGateway(j, [bearerGuard(j)])]);
    const answer = await rawRequest(port, '/guarded/lobby', upgradeHeaders(auth('mallory')));
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe('Bearer realm="chat"');
    expect(answer.body).toBe('token required\n');

    // the ws client sees the same status
    const ws = new WebSocket(url('/guarded/lobby'));
    ws.on('error', () => {}); // terminate() before the open reports one
    onCleanup(() => ws.terminate());
    const [, res] = (await once(ws, 'unexpected-response')) as [unknown, { statusCode: number; headers: Record<string, string> }];
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="chat"');

    // websocketConnect rejects with the status
    const err = await rejectionOf(websocketConnect(url('/guarded/lobby')));
    expect(err).toBeInstanceOf(WebSocketHandshakeError);
    expect((err as WebSocketHandshakeError).status).toBe(401);

    expect(j.built).toBe(0);
    expect(j.events).not.toContain('open');
  });

  it('a guard returning { principal } passes: conn.principal is it', async () => {
    const j = journal();
    const { url } = await startApp([guardedGateway(j, [bearerGuard(j)])]);
    const ws = await connect(url('/guarded/lobby'), undefined, { headers: auth('alice') });
    ws.send('who');
    expect((await nextMessage(ws)).data).toBe('ALICE in lobby');
    const client = await websocketConnect({ url: url('/guarded/hall'), headers: auth('bob') });
    onCleanup(() => client.close());
    await client.writeMessage('who');
    expect(await client.readMessage()).toBe('BOB in hall');
  });

  it('false answers 403; true passes without a principal', async () => {
    const j = journal();
    @injectable()
    class Deny implements Guard {
      authenticate(): boolean {
        return false;
      }
    }
    @injectable()
    class Allow implements Guard {
      authenticate(): Promise<boolean> {
        return Promise.resolve(true);
      }
    }
    const denied = await startApp([guardedGateway(j, [Deny])]);
    expect((await rawRequest(denied.port, '/guarded/x', upgradeHeaders())).status).toBe(403);
    const allowed = await startApp([guardedGateway(j, [Allow])]);
    const ws = await connect(allowed.url('/guarded/x'));
    ws.send('who');
    expect((await nextMessage(ws)).data).toBe('nobody in x');
  });

  it('a guard that throws anything else answers 500 and is logged with the gateway and guard names', async () => {
    const j = journal();
    @injectable()
    class Broken implements Guard {
      authenticate(): Promise<GuardResult> {
        return Promise.reject(new Error('database down'));
      }
    }
    const { port, logger } = await startApp([guardedGateway(j, [Broken])]);
    expect((await rawRequest(port, '/guarded/x', upgradeHeaders())).status).toBe(500);
    expect(logger.errors).toEqual(['wsgate: GuardedGateway: guard Broken failed: Error: database down']);
    expect(j.built).toBe(0);
  });

  it('guard mistakes answer 500 with a log line naming them: a bad result, a non-finite expiresAt, a bad status, a header with CR/LF', async () => {
    const j = journal();
    const answers: unknown[] = [
      'yes',
      { principal: 1, expiresAt: Infinity },
      new HandshakeRejection(200, 'ok'),
      new HandshakeRejection(401, 'x', { 'WWW-Authenticate': 'Bearer\r\nSet-Cookie: a=b' }),
    ];
    let next = 0;
    @injectable()
    class Sloppy implements Guard {
      authenticate(): GuardResult {
        const a = answers[next++];
        if (a instanceof Error) throw a;
        return a as GuardResult;
      }
    }
    const { port, logger } = await startApp([guardedGateway(j, [Sloppy])]);
    for (let i = 0; i < answers.length; i++) {
      const answer = await rawRequest(port, '/guarded/x', upgradeHeaders());
      expect(answer.status).toBe(500);
      expect(answer.headers['set-cookie']).toBeUndefined();
    }
    expect(logger.errors).toEqual([
      'wsgate: GuardedGateway: guard Sloppy returned "yes"; a guard returns true, false or { principal, expiresAt? }',
      'wsgate: GuardedGateway: guard Sloppy returned expiresAt Infinity; it must be a finite number of ms since the epoch',
      'wsgate: GuardedGateway: guard Sloppy threw a HandshakeRejection with status 200; it must be 400–599',
      'wsgate: GuardedGateway: guard Sloppy threw a HandshakeRejection with an invalid header "WWW-Authenticate" (CR, LF or other control characters)',
    ]);
  });

  it('credentials already expired answer 401', async () => {
    const j = journal();
    @injectable()
    class Stale implements Guard<User> {
      authenticate(): GuardResult<User> {
        return { principal: { id: 'a', name: 'A' }, expiresAt: Date.now() - 1 };
      }
    }
    const { port } = await startApp([guardedGateway(j, [Stale])]);
    const answer = await rawRequest(port, '/guarded/x', upgradeHeaders());
    expect(answer.status).toBe(401);
    expect(answer.body).toBe('credentials expired\n');
  });

  it('a client without Origin cannot skip a guard (unlike @CheckOrigin, which only runs with one)', async () => {
    const j = journal();
    const { port } = await startApp([guardedGateway(j, [bearerGuard(j)])]);
    const headers = upgradeHeaders();
    expect(headers.Origin).toBeUndefined();
    expect((await rawRequest(port, '/guarded/x', headers)).status).toBe(401);
    expect(j.events).toEqual(['bearer -']);
  });
});

describe('guards: order, principal and services', () => {
  it('run in the order listed; a later guard sees the principal as h.principal; the first refusal stops the rest', async () => {
    const j = journal();
    @injectable()
    class RoomMember implements Guard<User> {
      authenticate(h: Handshake<User>): boolean {
        j.events.push(`member ${h.principal?.id ?? '-'} ${h.params.room}`);
        return h.params.room !== 'secret' || h.principal?.id === 'alice';
      }
    }
    const { port } = await startApp([guardedGateway(j, [bearerGuard(j), RoomMember])]);
    expect((await rawRequest(port, '/guarded/secret', upgradeHeaders(auth('bob')))).status).toBe(403);
    expect((await rawRequest(port, '/guarded/secret', upgradeHeaders(auth('alice')))).status).toBe(101);
    expect((await rawRequest(port, '/guarded/secret', upgradeHeaders(auth('eve')))).status).toBe(401);
    expect(j.events.filter((e) => e !== 'open' && e !== 'close')).toEqual(['bearer bob', 'member bob secret', 'bearer alice', 'member alice secret', 'bearer eve']);
  });

  it('the first principal stands: a later guard returning another one only approves', async () => {
    const j = journal();
    @injectable()
    class Other implements Guard<User> {
      authenticate(): GuardResult<User> {
        return { principal: { id: 'other', name: 'OTHER' } };
      }
    }
    const { url } = await startApp([guardedGateway(j, [bearerGuard(j), Other])]);
    const ws = await connect(url('/guarded/r'), undefined, { headers: auth('alice') });
    ws.send('who');
    expect((await nextMessage(ws)).data).toBe('ALICE in r');
  });

  it('guards inject services: singletons shared, per-connection services shared with the gateway (which injects Principal), disposed on refusal and after @OnClose', async () => {
    const j = journal();
    @singleton()
    class Directory {
      find(token: string | undefined): User | undefined {
        return token === 'carol' ? { id: 'c', name: 'Carol' } : undefined;
      }
    }
    @scoped(Lifecycle.ContainerScoped)
    class Session {
      readonly id = Math.random();
      dispose(): void {
        j.disposed++;
      }
    }
    @injectable()
    class DirectoryAuth implements Guard<User> {
      constructor(
        private readonly directory: Directory,
        private readonly session: Session,
      ) {}
      authenticate(h: Handshake<User>): GuardResult<User> {
        j.events.push(`guard session ${this.session.id}`);
        const user = this.directory.find(h.bearerToken);
        return user ? { principal: user } : false;
      }
    }
    @scoped(Lifecycle.ContainerScoped)
    class Greeter {
      constructor(@inject(Principal) readonly user: User) {}
    }
    @Gateway('/svc', { guards: [DirectoryAuth] })
    class ServiceGateway {
      constructor(
        private readonly session: Session,
        private readonly greeter: Greeter,
        @inject(Principal) private readonly principal: User,
      ) {}
      @OnOpen() open(): void {
        j.events.push(`gateway session ${this.session.id}`);
      }
      @OnMessage() hi(): string {
        return `hi ${this.greeter.user.name} ${this.principal.id}`;
      }
    }
    const { port, url } = await startApp([ServiceGateway]);
    expect((await rawRequest(port, '/svc', upgradeHeaders(auth('dave')))).status).toBe(403);
    await eventually(() => j.disposed === 1, 'the refused connection’s Session to be disposed');

    const ws = await connect(url('/svc'), undefined, { headers: auth('carol') });
    ws.send('hi');
    expect((await nextMessage(ws)).data).toBe('hi Carol c');
    const sessions = j.events.filter((e) => e.includes('session')).slice(-2).map((e) => e.split(' ').pop());
    expect(sessions[0]).toBe(sessions[1]); // one Session for the guard and the gateway of a connection
    ws.close();
    await eventually(() => j.disposed === 2, 'the connection’s Session to be disposed after @OnClose');
  });

  it('the same holds for a gateway built by a tsyringe child container (a factory registration)', async () => {
    const j = journal();
    const app = rootContainer.createChildContainer();
    const LABEL = Symbol('label');
    app.register(LABEL, { useFactory: () => 'via factory' });
    @Gateway('/child', { guards: [bearerGuard(j)] })
    class ChildGateway {
      constructor(
        private readonly conn: Connection<never, User>,
        @inject(LABEL) private readonly label: string,
        @inject(Principal) private readonly principal: User,
      ) {
        j.built++;
      }
      @OnMessage() who(): string {
        return `${this.principal.name} ${this.conn.principal?.id ?? '-'} ${this.label}`;
      }
    }
    const { port, url } = await startApp([ChildGateway], { container: app });
    expect((await rawRequest(port, '/child', upgradeHeaders(auth('x')))).status).toBe(401);
    const ws = await connect(url('/child'), undefined, { headers: auth('bob') });
    ws.send('who');
    expect((await nextMessage(ws)).data).toBe('BOB bob via factory');
    expect(j.built).toBe(1);
  });

  it('app-wide guards apply to every gateway that lists none of its own', async () => {
    const j = journal();
    @Gateway('/open')
    class PlainGateway {
      @OnMessage() echo(m: string): string {
        return m;
      }
    }
    const { port } = await startApp([PlainGateway], { guards: [bearerGuard(j)] });
    expect((await rawRequest(port, '/open', upgradeHeaders())).status).toBe(401);
    expect((await rawRequest(port, '/open', upgradeHeaders(auth('alice')))).status).toBe(101);
  });
});

describe("rejectWith: 'close'", () => {
  it('answers 101, then closes at once with 4000 + status and the message as reason; no @OnOpen, no @OnClose', async () => {
    const j = journal();
    const { url } = await startApp([guardedGateway(j, [bearerGuard(j)], { rejectWith: 'close' })]);
    const ws = new WebSocket(url('/guarded/x'));
    onCleanup(() => ws.terminate());
    const [code, reason] = (await once(ws, 'close')) as [number, Buffer];
    expect(code).toBe(4401);
    expect(reason.toString()).toBe('token required');
    expect(j.built).toBe(0);
    expect(j.events).toEqual(['bearer -']);
  });

  it('a browser-style client offering wsgate.v1 and a token gets wsgate.v1 selected, then 4403', async () => {
    const j = journal();
    @injectable()
    class Deny implements Guard {
      authenticate(): boolean {
        return false;
      }
    }
    const { url } = await startApp([guardedGateway(j, [Deny], { rejectWith: 'close' })]);
    const ws = new WebSocket(url('/guarded/x'), ['wsgate.v1', 'wsgate.bearer.YWxpY2U']);
    onCleanup(() => ws.terminate());
    await once(ws, 'open');
    expect(ws.protocol).toBe('wsgate.v1');
    expect(await closed(ws)).toEqual({ code: 4403, reason: 'Forbidden' });
  });
});

describe('guards at createApp', () => {
  it('refuses guards that are not classes with authenticate(), naming the gateway', () => {
    class NotAGuard {}
    @Gateway('/g', { guards: [NotAGuard as unknown as new () => Guard] })
    class BadGuardGateway {
      @OnMessage() m(): void {}
    }
    expect(() => createApp({ gateways: [BadGuardGateway] })).toThrow(
      new GatewayDefinitionError('BadGuardGateway: guards: NotAGuard has no authenticate(handshake) method'),
    );
    @Gateway('/h', { rejectWith: 'silence' as 'close' })
    class BadRejectGateway {
      @OnMessage() m(): void {}
    }
    expect(() => createApp({ gateways: [BadRejectGateway] })).toThrow(/BadRejectGateway: rejectWith must be 'http' or 'close'/);
  });
});
