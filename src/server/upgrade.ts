/**
 * The 'upgrade' listener: route, then a list of small steps that each answer or pass on
 * (limits → request → rate limit → origin → version and key → instance → subprotocol → still there), then the
 * 101 from ws and the dispatcher. It also owns the shutdown of its connections (`close()`).
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { DependencyContainer } from 'tsyringe';
import { isThenable, kHandshake, kPubSub, noop } from '../constants';
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
import { createScope, disposeScope } from './scope';
import { snapshotRequest } from './handshake-request';
import { closeConnections, type ShutdownOptions } from './shutdown';
import { originAllowed } from './origin-rule';
import { MalformedPathError, type RouteMatch, type Router } from './router';
import { dropConnection } from '../topics/registry';
import type { ProxyTrust } from '../auth/client-address';

/** What ws's synchronous handleProtocols and the wsClientError listener need to find on the request. */
export interface HandshakeState {
  readonly subprotocol: string | undefined;
  readonly container: DependencyContainer;
}

export type HandshakeRequest = IncomingMessage & { [kHandshake]?: HandshakeState };

interface PendingConnection {
  readonly container: DependencyContainer;
  readonly conn: Connection;
  readonly instance: object;
}

/** One upgrade request on its way through the steps. */
interface Handshake {
  readonly req: HandshakeRequest;
  readonly socket: Duplex;
  readonly head: Buffer;
  readonly match: RouteMatch<GatewayDefinition>;
  pending?: PendingConnection;
  subprotocol?: string;
}

/** A refusal, nothing (pass on), or either later. */
type StepResult = Rejection | undefined | Promise<Rejection | undefined>;

export interface GatewayServerOptions {
  readonly router: Router<GatewayDefinition>;
  readonly container: DependencyContainer;
  readonly logger: Logger;
  readonly maxConnections: number;
  /** The app's compiled `trustProxy`: `conn.request.remoteAddress` is then the client's address. */
  readonly trustProxy?: ProxyTrust;
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
  private readonly onDispatcherDone = (d: Dispatcher): void => {
    this.live.delete(d);
    dropConnection(d.conn); // a closed connection leaves every topic
  };

  /** The handshake, in order: each step answers (a Rejection) or passes on. */
  private readonly steps: ReadonlyArray<(h: Handshake) => StepResult> = [
    () => this.checkLimits(),
    (h) => checkUpgradeRequest(h.req),
    (h) => this.rateLimit(h),
    (h) => this.checkOrigin(h),
    (h) => checkProtocolHeaders(h.req),
    (h) => (this.instanceFor(h) ? undefined : INTERNAL_ERROR),
    (h) => this.selectSubprotocol(h),
    (h) => this.checkStillThere(h),
  ];

  constructor(private readonly options: GatewayServerOptions) {}

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
    this.handshake({ req, socket, head, match }).catch((err: unknown) => {
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
  }

  private route(req: IncomingMessage): RouteMatch<GatewayDefinition> | Rejection | undefined {
    try {
      return this.options.router.match(req.url ?? '/');
    } catch (err) {
      if (err instanceof MalformedPathError) return reject(400, err.message);
      throw err;
    }
  }

  private async handshake(h: Handshake): Promise<void> {
    this.pending++; // counted from here: checkLimits sees this request too
    this.handshakes.add(h.socket);
    try {
      for (const step of this.steps) {
        let refusal = step(h);
        if (isThenable<Rejection | undefined>(refusal)) refusal = await refusal;
        if (refusal) return abortSocket(h.socket, refusal);
      }
      this.complete(h);
      h.pending = undefined;
    } finally {
      this.pending--;
      this.handshakes.delete(h.socket);
      // Every refusal returns with `pending` still set: its instance must not outlive the request.
      if (h.pending) void disposeScope(h.pending.container, this.options.logger, h.match.target.name);
    }
  }

  private checkLimits(): Rejection | undefined {
    if (this.closing) return SHUTTING_DOWN;
    // `pending` already counts this request.
    if (this.live.size + this.pending > this.options.maxConnections) return reject(503, 'Too many connections.');
    return undefined;
  }

  /** The gateway's handshakeRateLimit (429 past the budget), before anything of the gateway is built. */
  private rateLimit({ req, match }: Handshake): StepResult {
    const limit = match.target.rateLimit;
    return limit?.check(Object.assign(snapshotRequest(req, this.options.trustProxy), { params: match.params }), this.options.logger);
  }

  /**
   * The gateway's origin rule (`origins`, or the default same-host rule), then its @CheckOrigin on its
   * instance when it declares one; only with an Origin header.
   */
  private checkOrigin(h: Handshake): StepResult {
    const origin = h.req.headers.origin;
    if (origin === undefined) return undefined;
    const def = h.match.target;
    if (!originAllowed(def.originRule, origin, h.req.headers.host)) return FORBIDDEN;
    if (!def.hooks.checkOrigin) return undefined;
    const pending = this.instanceFor(h);
    if (!pending) return INTERNAL_ERROR;
    return this.callHook<boolean>(def, pending, 'checkOrigin', [origin]).then((allowed) => {
      if (allowed === HOOK_FAILED) return INTERNAL_ERROR;
      return allowed === true ? undefined : FORBIDDEN;
    });
  }

  private selectSubprotocol(h: Handshake): StepResult {
    const offered = normalizeSubprotocolHeader(h.req);
    const def = h.match.target;
    if (!def.hooks.subprotocol) {
      // A contract gateway speaks wsgate.v1 and says so when the client offers it.
      if (def.contract && offered.includes(PROTOCOL_NAME)) h.subprotocol = PROTOCOL_NAME;
      return undefined;
    }
    return this.callHook<string | null | undefined>(def, h.pending!, 'subprotocol', [offered]).then((chosen) => {
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

  private checkStillThere({ socket }: Handshake): Rejection | undefined {
    // ws destroys a socket that is no longer readable and writable (the client sent a FIN or a
    // reset while a hook ran) without calling back: refuse it here so the slot and the instance are released.
    if (socket.destroyed || !socket.readable || !socket.writable) return reject(400, 'Client went away.');
    return this.closing ? SHUTTING_DOWN : undefined;
  }

  private instanceFor(h: Handshake): PendingConnection | undefined {
    return (h.pending ??= this.createInstance(h.match.target, h.req, h.match));
  }

  private complete({ match, req, socket, head, pending, subprotocol }: Handshake): void {
    const { container, conn, instance } = pending!;
    const def = match.target;
    req[kHandshake] = { subprotocol, container };
    this.pending++; // until ws answers; released in the callback or in onClientError
    def.wss.handleUpgrade(req, socket, head, (ws) => {
      this.pending--;
      req[kHandshake] = undefined;
      socket.off('error', noop);
      const dispatcher = new Dispatcher(def, instance, conn, container, this.options.logger, this.onDispatcherDone);
      this.live.add(dispatcher);
      dispatcher.start(ws, match.args, subprotocol);
    });
  }

  /** ws refused a request our checks let through (e.g. a malformed Sec-WebSocket-Extensions). */
  readonly onClientError = (err: Error, socket: Duplex, req: HandshakeRequest): void => {
    this.pending--;
    const state = req[kHandshake];
    req[kHandshake] = undefined;
    if (state) void disposeScope(state.container, this.options.logger, 'gateway');
    abortSocket(socket, reject(400, err.message));
  };

  private createInstance(def: GatewayDefinition, req: IncomingMessage, match: RouteMatch<GatewayDefinition>): PendingConnection | undefined {
    const conn = new Connection(snapshotRequest(req, this.options.trustProxy), match.params);
    conn[kPubSub] = def.pubsub;
    try {
      const { container, instance } = createScope(def, this.options.container, conn, this.options.logger);
      return { container, conn, instance };
    } catch (err) {
      this.options.logger.error(`wsgate: ${def.name}: could not create the gateway instance:`, err);
      return undefined;
    }
  }

  private async callHook<T>(
    def: GatewayDefinition,
    { instance }: PendingConnection,
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
