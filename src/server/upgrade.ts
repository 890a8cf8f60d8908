/**
 * The 'upgrade' listener: route, check, build the connection's child container and gateway
 * instance, run @CheckOrigin / @Subprotocol on it, then hand the socket to ws and the dispatcher.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { DependencyContainer } from 'tsyringe';
import { kHandshake, kPubSub, noop } from '../constants';
import { PROTOCOL_NAME } from '../protocol/contract';
import type { Logger } from '../types';
import { Connection } from './connection';
import { describeHook, type GatewayDefinition } from './definition';
import { Dispatcher } from './dispatcher';
import {
  abortSocket,
  checkProtocolHeaders,
  checkUpgradeRequest,
  isSameOrigin,
  offeredSubprotocols,
  reject,
  respond,
  type Rejection,
} from './handshake';
import { createScope, disposeScope } from './scope';
import { snapshotRequest } from './handshake-request';
import { MalformedPathError, type RouteMatch, type Router } from './router';
import { dropConnection } from '../topics/registry';

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

export interface GatewayServerOptions {
  readonly router: Router<GatewayDefinition>;
  readonly container: DependencyContainer;
  readonly logger: Logger;
  readonly maxConnections: number;
}

function isThenable<T>(value: unknown): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | null)?.then === 'function';
}

export class GatewayServer {
  /** Connections from the 101 answer until @OnClose has run. */
  readonly live = new Set<Dispatcher>();
  private pending = 0;
  closing = false;
  private readonly onDispatcherDone = (d: Dispatcher): void => {
    this.live.delete(d);
    dropConnection(d.conn); // a closed connection leaves every topic
  };

  constructor(private readonly options: GatewayServerOptions) {}

  /** Listener for an HTTP server's 'upgrade' event. */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', noop); // a peer resetting mid-handshake is not an error of ours
    this.upgrade(req, socket, head).catch((err: unknown) => {
      this.options.logger.error('wsgate: unexpected error during the handshake:', err);
      abortSocket(socket, reject(500, 'Internal Server Error'));
    });
  };

  /**
   * Listener for plain HTTP requests: 426 for a gateway path (it needs an upgrade), 400 for an
   * upgrade request whose Connection header lacks 'upgrade' (Node never raises 'upgrade' for it),
   * 404 elsewhere.
   */
  readonly handleRequest = (req: IncomingMessage, res: ServerResponse): void => {
    respond(res, this.plainRequestAnswer(req));
  };

  private plainRequestAnswer(req: IncomingMessage): Rejection {
    const match = this.route(req);
    if (!match || 'status' in match) return match ?? reject(404, 'Not Found');
    if (req.method !== 'GET') return reject(405, 'WebSocket upgrades must use GET.', { Allow: 'GET' });
    if (req.headers.upgrade?.toLowerCase() === 'websocket') {
      return reject(400, 'The Connection header must include "upgrade".');
    }
    return reject(426, 'This is a WebSocket endpoint: upgrade to "websocket".', { Upgrade: 'websocket', Connection: 'Upgrade, close' });
  }

  private route(req: IncomingMessage): RouteMatch<GatewayDefinition> | Rejection | undefined {
    try {
      return this.options.router.match(req.url ?? '/');
    } catch (err) {
      if (err instanceof MalformedPathError) return reject(400, err.message);
      throw err;
    }
  }

  private async upgrade(req: HandshakeRequest, socket: Duplex, head: Buffer): Promise<void> {
    const { maxConnections } = this.options;
    if (this.closing) return abortSocket(socket, reject(503, 'Server is shutting down.'));
    if (this.live.size + this.pending >= maxConnections) return abortSocket(socket, reject(503, 'Too many connections.'));
    const match = this.route(req);
    if (!match) return abortSocket(socket, reject(404, 'Not Found'));
    if ('status' in match) return abortSocket(socket, match);
    const early = checkUpgradeRequest(req);
    if (early) return abortSocket(socket, early);

    this.pending++;
    let pending: PendingConnection | undefined;
    let subprotocol: string | undefined;
    try {
      const def = match.target;
      const origin = req.headers.origin;
      if (origin !== undefined) {
        if (def.hooks.checkOrigin) {
          pending = this.createInstance(def, req, match);
          if (!pending) return abortSocket(socket, reject(500, 'Internal Server Error'));
          const allowed = await this.callHook<boolean>(def, pending, 'checkOrigin', [origin]);
          if (allowed === HOOK_FAILED) return abortSocket(socket, reject(500, 'Internal Server Error'));
          if (allowed !== true) return abortSocket(socket, reject(403, 'Cross origin WebSockets are not allowed.'));
        } else if (!isSameOrigin(origin, req.headers.host)) {
          return abortSocket(socket, reject(403, 'Cross origin WebSockets are not allowed.'));
        }
      }
      const invalid = checkProtocolHeaders(req);
      if (invalid) return abortSocket(socket, invalid);
      pending ??= this.createInstance(def, req, match);
      if (!pending) return abortSocket(socket, reject(500, 'Internal Server Error'));
      if (def.hooks.subprotocol) {
        const offered = offeredSubprotocols(req);
        const chosen = await this.callHook<string | null | undefined>(def, pending, 'subprotocol', [offered]);
        if (chosen === HOOK_FAILED) return abortSocket(socket, reject(500, 'Internal Server Error'));
        if (chosen !== null && chosen !== undefined) {
          if (!offered.includes(chosen)) {
            this.options.logger.error(
              `wsgate: ${describeHook(def, 'subprotocol')} returned ${JSON.stringify(chosen)}, which the client did not offer (${offered.join(', ') || 'none'})`,
            );
            return abortSocket(socket, reject(500, 'Internal Server Error'));
          }
          subprotocol = chosen;
        }
      } else if (def.contract && offeredSubprotocols(req).includes(PROTOCOL_NAME)) {
        subprotocol = PROTOCOL_NAME;
      }
      // ws destroys a socket that is no longer readable and writable (the client sent a FIN or a
      // reset while a hook ran) without calling back: refuse it here so the slot and the instance are released.
      if (socket.destroyed || !socket.readable || !socket.writable) return abortSocket(socket, reject(400, 'Client went away.'));
      if (this.closing) return abortSocket(socket, reject(503, 'Server is shutting down.'));
      this.complete(def, req, socket, head, pending, match.args, subprotocol);
      pending = undefined;
    } finally {
      this.pending--;
      // Every refusal returns with `pending` still set: its instance must not outlive the request.
      if (pending) void disposeScope(pending.container, this.options.logger, match.target.name);
    }
  }

  private complete(
    def: GatewayDefinition,
    req: HandshakeRequest,
    socket: Duplex,
    head: Buffer,
    { container, conn, instance }: PendingConnection,
    args: readonly string[],
    subprotocol: string | undefined,
  ): void {
    req[kHandshake] = { subprotocol, container };
    this.pending++; // until ws answers; released in the callback or in onClientError
    def.wss.handleUpgrade(req, socket, head, (ws) => {
      this.pending--;
      req[kHandshake] = undefined;
      socket.off('error', noop);
      const dispatcher = new Dispatcher(def, instance, conn, container, this.options.logger, this.onDispatcherDone);
      this.live.add(dispatcher);
      dispatcher.start(ws, args, subprotocol);
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
    const conn = new Connection(snapshotRequest(req), match.params);
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
