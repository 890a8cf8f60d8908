/**
 * The 'upgrade' listener: route, then a list of small steps that each answer or pass on
 * (limits → request → origin rule → version and key → connection scope → guards → instance →
 * @CheckOrigin → subprotocol → still there), then the 101 from ws and the dispatcher. It also owns
 * the shutdown of its connections (`close()`).
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { DependencyContainer } from 'tsyringe';
import { isThenable, kAuth, kHandshake, kPubSub, noop } from '../constants';
import { isBearerProtocol, readBearerToken } from '../auth/credentials';
import { HandshakeView } from '../auth/handshake-view';
import { ExpiryWheel } from '../auth/expiry-wheel';
import { closeAfterUpgrade } from '../auth/reject-with-close';
import { runGuards } from '../auth/run-guards';
import { PROTOCOL_NAME } from '../protocol/contract';
import type { Logger } from '../types';
import { Connection } from './connection';
import { describeHook, type GatewayDefinition } from './definition';
import { Dispatcher } from './dispatcher';
import {
  abortSocket,
  answerPlainRequest,
  checkProtocolHeaders,
  checkUpgradeRequest,
  normalizeSubprotocolHeader,
  reject,
  respond,
  type Rejection,
} from './handshake';
import { disposeScope, openScope, type ConnectionScope } from './scope';
import { snapshotRequest, type HandshakeRequest } from './handshake-request';
import { closeConnections, type ShutdownOptions } from './shutdown';
import { originAllowed } from './origin-rule';
import { MalformedPathError, type RouteMatch, type Router } from './router';
import { dropConnection } from '../topics/registry';
import { authContext } from './auth-wiring';

/** What ws's synchronous handleProtocols and the wsClientError listener need to find on the request. */
export interface HandshakeState {
  readonly subprotocol: string | undefined;
  /** The connection's services, disposed when ws refuses the request after all. */
  readonly container: DependencyContainer | undefined;
}

export type UpgradeRequest = IncomingMessage & { [kHandshake]?: HandshakeState };

/** One upgrade request on its way through the steps. */
interface Attempt {
  readonly req: UpgradeRequest;
  readonly socket: Duplex;
  readonly head: Buffer;
  readonly match: RouteMatch<GatewayDefinition>;
  /** The offered subprotocols, bearer-token entries included (set by the version-and-key step). */
  offered: readonly string[];
  /** The request snapshot, taken on first use (it becomes `conn.request`). */
  request?: HandshakeRequest;
  /** Whether the origin rule checked the origin (so cookies may be trusted). */
  originChecked: boolean;
  conn?: Connection;
  /** Set from the scope step on: disposed unless the handshake completes. */
  scope?: ConnectionScope;
  instance?: object;
  subprotocol?: string;
}

/** A refusal, nothing (pass on), or either later. */
type StepResult = Rejection | undefined | Promise<Rejection | undefined>;

export interface GatewayServerOptions {
  readonly router: Router<GatewayDefinition>;
  readonly container: DependencyContainer;
  readonly logger: Logger;
  readonly maxConnections: number;
}


const INTERNAL_ERROR = reject(500, 'Internal Server Error');
const FORBIDDEN = reject(403, 'Cross origin WebSockets are not allowed.');
const SHUTTING_DOWN = reject(503, 'Server is shutting down.');

export class GatewayServer {
  /** Connections from the 101 answer until @OnClose has run. */
  private readonly live = new Set<Dispatcher>();
  /** Handshakes in progress, ws's answer included: they count against maxConnections. */
  private pending = 0;
  /** Sockets whose handshake is in the steps (a hook may still be running): cut by close(). */
  private readonly handshakes = new Set<Duplex>();
  private closing = false;
  /** Every credential deadline of the app's connections, behind one timer. */
  private readonly wheel: ExpiryWheel;
  private readonly onDispatcherDone = (d: Dispatcher): void => {
    this.live.delete(d);
    dropConnection(d.conn); // a closed connection leaves every topic
    d.conn[kAuth]?.end();
  };

  /** The handshake, in order: each step answers (a Rejection) or passes on. */
  private readonly steps: ReadonlyArray<(h: Attempt) => StepResult> = [
    () => this.checkLimits(),
    (h) => checkUpgradeRequest(h.req),
    (h) => this.checkOriginRule(h),
    (h) => this.checkProtocolHeaders(h),
    (h) => this.openScope(h),
    (h) => this.runGuards(h),
    (h) => this.buildInstance(h),
    (h) => this.checkOriginHook(h),
    (h) => this.selectSubprotocol(h),
    (h) => this.checkStillThere(h),
  ];

  constructor(private readonly options: GatewayServerOptions) {
    this.wheel = new ExpiryWheel({ onError: (err) => options.logger.error('wsgate: a credential deadline failed:', err) });
  }

  /** Open connections (from the 101 answer until `@OnClose` has run). */
  get connectionCount(): number {
    return this.live.size;
  }

  /**
   * Takes an upgrade request when its path belongs to a gateway and answers it (101 or a refusal);
   * returns false, leaving the socket untouched, when no gateway serves the path.
   */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): boolean => {
    const match = this.route(req);
    if (!match) return false;
    socket.on('error', noop); // a peer resetting mid-handshake is not an error of ours
    if ('status' in match) {
      abortSocket(socket, match); // a malformed path parameter of a gateway path: ours, 400
      return true;
    }
    this.handshake({ req, socket, head, match, offered: [], originChecked: false }).catch((err: unknown) => {
      this.options.logger.error('wsgate: unexpected error during the handshake:', err);
      abortSocket(socket, INTERNAL_ERROR);
    });
    return true;
  };

  /**
   * Listener for plain HTTP requests: 426 for a gateway path (it needs an upgrade), 400 for an
   * upgrade request whose Connection header lacks 'upgrade' (Node never raises 'upgrade' for it),
   * 404 elsewhere.
   */
  readonly handleRequest = (req: IncomingMessage, res: ServerResponse): void => {
    respond(res, answerPlainRequest(req, this.route(req)));
  };

  /**
   * Stops accepting (new upgrades get 503) and closes every connection (see `closeConnections`).
   * Handshakes still held by a hook when it resolves are answered 503 and cut.
   */
  async close(options: ShutdownOptions): Promise<void> {
    this.closing = true;
    await closeConnections([...this.live], options, this.options.logger);
    for (const socket of this.handshakes) abortSocket(socket, SHUTTING_DOWN);
    this.wheel.close();
  }

  private route(req: IncomingMessage): RouteMatch<GatewayDefinition> | Rejection | undefined {
    try {
      return this.options.router.match(req.url ?? '/');
    } catch (err) {
      if (err instanceof MalformedPathError) return reject(400, err.message);
      throw err;
    }
  }

  private async handshake(h: Attempt): Promise<void> {
    this.pending++; // counted from here: checkLimits sees this request too
    this.handshakes.add(h.socket);
    try {
      for (const step of this.steps) {
        let refusal = step(h);
        if (isThenable<Rejection | undefined>(refusal)) refusal = await refusal;
        if (refusal) return this.refuse(h, refusal);
      }
      this.complete(h);
      h.scope = undefined;
    } finally {
      this.pending--;
      this.handshakes.delete(h.socket);
      // Every refusal returns with `scope` still set: nothing it built may outlive the request.
      if (h.scope) void disposeScope(h.scope.disposer(), this.options.logger, h.match.target.name);
    }
  }

  /** Answers a refusal: HTTP, or for guards and rate limits under `rejectWith: 'close'`, a 101 and a 4xxx close. */
  private refuse(h: Attempt, refusal: Rejection): void {
    if (!refusal.fromAuth || h.match.target.rejectWith !== 'close') return abortSocket(h.socket, refusal);
    // Browsers that offered subprotocols fail a 101 that selects none: pick one they offered (never a token).
    const subprotocol = h.offered.find((p) => p === PROTOCOL_NAME) ?? h.offered.find((p) => !isBearerProtocol(p));
    h.req[kHandshake] = { subprotocol, container: undefined };
    this.pending++; // until ws answers
    h.match.target.wss.handleUpgrade(h.req, h.socket, h.head, (ws) => {
      this.pending--;
      h.req[kHandshake] = undefined;
      h.socket.off('error', noop);
      closeAfterUpgrade(ws, refusal);
    });
  }

  /** The request snapshot: `conn.request`, and what guards and rate limits read. */
  private requestOf(h: Attempt): HandshakeRequest {
    return (h.request ??= snapshotRequest(h.req));
  }

  private checkLimits(): Rejection | undefined {
    if (this.closing) return SHUTTING_DOWN;
    // `pending` already counts this request.
    if (this.live.size + this.pending > this.options.maxConnections) return reject(503, 'Too many connections.');
    return undefined;
  }

  /**
   * The gateway's origin rule (`origins`, or the default same-host rule), before anything of the
   * gateway is built; only an Origin header can fail it.
   */
  private checkOriginRule(h: Attempt): Rejection | undefined {
    const rule = h.match.target.originRule;
    h.originChecked = rule.kind === 'same-host' || rule.kind === 'list';
    const origin = h.req.headers.origin;
    if (origin === undefined) return undefined;
    return originAllowed(rule, origin, h.req.headers.host) ? undefined : FORBIDDEN;
  }

  /** Version and key (tornado checks them after the origin); then the offered subprotocols are read once. */
  private checkProtocolHeaders(h: Attempt): Rejection | undefined {
    const refusal = checkProtocolHeaders(h.req);
    if (!refusal) h.offered = normalizeSubprotocolHeader(h.req);
    return refusal;
  }

  /** The connection and the scope its guards and gateway instance are built in. */
  private openScope(h: Attempt): Rejection | undefined {
    const def = h.match.target;
    const conn = new Connection(this.requestOf(h), h.match.params);
    conn[kPubSub] = def.pubsub;
    h.conn = conn;
    h.scope = openScope(def, this.options.container, conn);
    return undefined;
  }

  /** The gateway's guards, in order (see auth/run-guards); the first principal is the connection's. */
  private runGuards(h: Attempt): StepResult {
    const def = h.match.target;
    if (def.guards.length === 0) return undefined;
    const scope = h.scope!;
    const view = new HandshakeView(this.requestOf(h), h.match.params, readBearerToken(h.req.headers.authorization, h.offered), h.originChecked);
    return runGuards({
      gatewayName: def.name,
      guardNames: def.guardNames,
      view,
      build: (i) => scope.guard(i),
      setPrincipal: (p) => scope.setPrincipal(p),
      logger: this.options.logger,
      now: Date.now,
    }).then((outcome) => {
      if ('status' in outcome) return outcome;
      h.conn![kAuth] = outcome;
      return undefined;
    });
  }

  private buildInstance(h: Attempt): Rejection | undefined {
    try {
      h.instance = h.scope!.gateway();
      return undefined;
    } catch (err) {
      this.options.logger.error(`wsgate: ${h.match.target.name}: could not create the gateway instance:`, err);
      return INTERNAL_ERROR;
    }
  }

  /** The gateway's @CheckOrigin on its instance, when it declares one; only with an Origin header. */
  private checkOriginHook(h: Attempt): StepResult {
    const origin = h.req.headers.origin;
    const def = h.match.target;
    if (origin === undefined || !def.hooks.checkOrigin) return undefined;
    return this.callHook<boolean>(def, h.instance!, 'checkOrigin', [origin]).then((allowed) => {
      if (allowed === HOOK_FAILED) return INTERNAL_ERROR;
      return allowed === true ? undefined : FORBIDDEN;
    });
  }

  /**
   * @Subprotocol's choice among the offered subprotocols (a bearer-token entry is never shown to it
   * nor selected); without one, `wsgate.v1` when offered to a contract gateway, or offered beside a token.
   */
  private selectSubprotocol(h: Attempt): StepResult {
    const withToken = h.offered.some(isBearerProtocol);
    const offered = withToken ? h.offered.filter((p) => !isBearerProtocol(p)) : (h.offered as string[]);
    const def = h.match.target;
    if (!def.hooks.subprotocol) {
      // A contract gateway speaks wsgate.v1 and says so when the client offers it; a browser that sent
      // a token this way offers wsgate.v1 beside it, and fails a 101 that selects nothing.
      if ((def.contract || withToken) && offered.includes(PROTOCOL_NAME)) h.subprotocol = PROTOCOL_NAME;
      return undefined;
    }
    return this.callHook<string | null | undefined>(def, h.instance!, 'subprotocol', [offered]).then((chosen) => {
      if (chosen === HOOK_FAILED) return INTERNAL_ERROR;
      // '' selects none, as null does (tornado treats any falsy answer so).
      if (chosen === null || chosen === undefined || chosen === '') return undefined;
      if (!offered.includes(chosen)) {
        this.options.logger.error(
          `wsgate: ${describeHook(def, 'subprotocol')} returned ${JSON.stringify(chosen)}, which the client did not offer (${offered.join(', ') || 'none'})`,
        );
        return INTERNAL_ERROR;
      }
      h.subprotocol = chosen;
      return undefined;
    });
  }

  private checkStillThere({ socket }: Attempt): Rejection | undefined {
    // ws destroys a socket that is no longer readable and writable (the client sent a FIN or a
    // reset while a hook ran) without calling back: refuse it here so the slot and the instance are released.
    if (socket.destroyed || !socket.readable || !socket.writable) return reject(400, 'Client went away.');
    return this.closing ? SHUTTING_DOWN : undefined;
  }

  private complete({ match, req, socket, head, scope, conn, instance, subprotocol }: Attempt): void {
    const container = scope!.disposer();
    const def = match.target;
    req[kHandshake] = { subprotocol, container };
    this.pending++; // until ws answers; released in the callback or in onClientError
    def.wss.handleUpgrade(req, socket, head, (ws) => {
      this.pending--;
      req[kHandshake] = undefined;
      socket.off('error', noop);
      const dispatcher = new Dispatcher(def, instance!, conn!, container, this.options.logger, this.onDispatcherDone);
      this.live.add(dispatcher);
      conn![kAuth]?.open(authContext(def, conn!, instance!, this.wheel, this.options.logger));
      dispatcher.start(ws, match.args, subprotocol);
    });
  }

  /** ws refused a request our checks let through (e.g. a malformed Sec-WebSocket-Extensions). */
  readonly onClientError = (err: Error, socket: Duplex, req: UpgradeRequest): void => {
    this.pending--;
    const state = req[kHandshake];
    req[kHandshake] = undefined;
    if (state?.container) void disposeScope(state.container, this.options.logger, 'gateway');
    abortSocket(socket, reject(400, err.message));
  };

  private async callHook<T>(
    def: GatewayDefinition,
    instance: object,
    kind: 'checkOrigin' | 'subprotocol',
    args: unknown[],
  ): Promise<T | typeof HOOK_FAILED> {
    try {
      const method = (instance as Record<string | symbol, (...a: unknown[]) => unknown>)[def.hooks[kind]!];
      const result = method.apply(instance, args);
      return isThenable<T>(result) ? await result : (result as T);
    } catch (err) {
      this.options.logger.error(`wsgate: ${describeHook(def, kind)} failed:`, err);
      return HOOK_FAILED;
    }
  }
}

const HOOK_FAILED = Symbol('hook failed');
