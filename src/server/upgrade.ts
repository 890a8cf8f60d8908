/**
 * The 'upgrade' listener: route, then a list of small steps that each answer or pass on
 * (limits → request → rate limit → origin rule → version and key → connection scope → guards →
 * instance → @CheckOrigin → subprotocol → still there), then the 101 from ws and the dispatcher. It
 * also owns the shutdown of its connections (`close()`).
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { DependencyContainer } from 'tsyringe';
import { isThenable, kAuth, kHandshake, noop } from '../constants';
import type { ProxyTrust } from '../auth/client-address';
import { ExpiryWheel } from '../auth/expiry-wheel';
import { closeAfterUpgrade } from '../auth/reject-with-close';
import type { Logger } from '../types';
import { dropConnection } from '../topics/registry';
import { startAuthentication } from './auth-wiring';
import type { GatewayDefinition } from './definition';
import { Dispatcher } from './dispatcher';
import { abortSocket, answerPlainRequest, checkUpgradeRequest, INTERNAL_ERROR, reject, respond, type Rejection } from './handshake';
import {
  buildInstance,
  checkGuards,
  checkOriginHook,
  checkOriginRule,
  checkVersionAndKey,
  closingSubprotocol,
  openConnectionScope,
  rateLimit,
  selectSubprotocol,
  type Attempt,
  type StepContext,
  type StepResult,
  type UpgradeRequest,
} from './handshake-steps';
import { disposeScope } from './scope';
import { closeConnections, type ShutdownOptions } from './shutdown';
import { MalformedPathError, type RouteMatch, type Router } from './router';

export interface GatewayServerOptions {
  readonly router: Router<GatewayDefinition>;
  readonly container: DependencyContainer;
  readonly logger: Logger;
  readonly maxConnections: number;
  /** The app's compiled `trustProxy`: `conn.request.remoteAddress` is then the client's address. */
  readonly trustProxy?: ProxyTrust;
  /** How long the steps of one handshake may take, hooks included, before it is answered 503. */
  readonly handshakeTimeout: number;
}

const SHUTTING_DOWN = reject(503, 'Server is shutting down.');
const HANDSHAKE_TIMED_OUT = reject(503, 'The handshake took too long.');

export class GatewayServer {
  /** Connections from the 101 answer until @OnClose has run. */
  private readonly live = new Set<Dispatcher>();
  /** Handshakes in progress, ws's answer included: they count against maxConnections. */
  private pending = 0;
  /** Handshakes in the steps (a hook may still be running): cut by close(). */
  private readonly handshakes = new Set<Attempt>();
  private closing = false;
  /** Every credential deadline of the app's connections, behind one timer (gateways' auth settings hold it). */
  readonly wheel: ExpiryWheel;
  private readonly onDispatcherDone = (d: Dispatcher): void => {
    this.live.delete(d);
    dropConnection(d.conn); // a closed connection leaves every topic
    d.conn[kAuth]?.end();
  };

  /** What the steps need of the app. */
  private readonly ctx: StepContext;

  /** The handshake, in order: each step answers (a Rejection) or passes on. */
  private readonly steps: ReadonlyArray<(h: Attempt) => StepResult> = [
    () => this.checkLimits(),
    (h) => checkUpgradeRequest(h.req),
    (h) => rateLimit(h, this.ctx),
    (h) => checkOriginRule(h),
    (h) => checkVersionAndKey(h),
    (h) => openConnectionScope(h, this.ctx),
    (h) => checkGuards(h, this.ctx),
    (h) => buildInstance(h, this.ctx),
    (h) => checkOriginHook(h, this.ctx),
    (h) => selectSubprotocol(h, this.ctx),
    (h) => this.checkStillThere(h),
  ];

  constructor(private readonly options: GatewayServerOptions) {
    this.ctx = { container: options.container, logger: options.logger, trustProxy: options.trustProxy };
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
    for (const h of this.handshakes) {
      clearTimeout(h.deadline); // answered here: the hook's deadline no longer matters
      abortSocket(h.socket, SHUTTING_DOWN);
    }
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
    this.handshakes.add(h);
    try {
      for (const step of this.steps) {
        let refusal = step(h);
        if (isThenable<Rejection | undefined>(refusal)) {
          h.deadline ??= this.armDeadline(h); // only handshakes that wait on a hook pay for a timer
          refusal = await refusal;
          if (h.timedOut) return; // answered 503 and released already
        }
        if (refusal) return this.refuse(h, refusal);
      }
      this.complete(h);
      h.scope = undefined;
    } finally {
      clearTimeout(h.deadline);
      if (!h.timedOut) this.release(h);
      // Every refusal returns with `scope` still set: nothing it built may outlive the request.
      if (h.scope) void disposeScope(h.scope.disposer(), this.options.logger, h.match.target.name);
    }
  }

  private release(h: Attempt): void {
    this.pending--;
    this.handshakes.delete(h);
  }

  /**
   * A hook that never answers must not hold the connection slot: after handshakeTimeout from the
   * first awaited step, the request is answered 503 and released; the step's late answer is ignored.
   */
  private armDeadline(h: Attempt): NodeJS.Timeout {
    const { handshakeTimeout, logger } = this.options;
    return setTimeout(() => {
      h.timedOut = true;
      this.release(h);
      logger.warn(`wsgate: ${h.match.target.name}: a handshake step (the rate limit's store, a guard, @CheckOrigin or @Subprotocol) did not answer within ${handshakeTimeout} ms: answered 503`);
      abortSocket(h.socket, HANDSHAKE_TIMED_OUT);
    }, handshakeTimeout);
  }

  /** Answers a refusal: HTTP, or for guards and rate limits under `rejectWith: 'close'`, a 101 and a 4xxx close. */
  private refuse(h: Attempt, refusal: Rejection): void {
    if (!refusal.fromAuth || h.match.target.rejectWith !== 'close') return abortSocket(h.socket, refusal);
    // The rate limit refuses before the version-and-key step: a request ws cannot upgrade keeps the HTTP answer.
    if (checkVersionAndKey(h)) return abortSocket(h.socket, refusal);
    h.req[kHandshake] = { subprotocol: closingSubprotocol(h), container: undefined };
    this.pending++; // until ws answers
    h.match.target.wss.handleUpgrade(h.req, h.socket, h.head, (ws) => {
      this.pending--;
      h.req[kHandshake] = undefined;
      h.socket.off('error', noop);
      closeAfterUpgrade(ws, refusal);
    });
  }

  private checkLimits(): Rejection | undefined {
    if (this.closing) return SHUTTING_DOWN;
    // `pending` already counts this request.
    if (this.live.size + this.pending > this.options.maxConnections) return reject(503, 'Too many connections.');
    return undefined;
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
      if (conn![kAuth]) startAuthentication(def.auth!, conn!, instance!);
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
}
