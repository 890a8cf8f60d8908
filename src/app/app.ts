/**
 * createApp(): validates the gateways once, compiles them into plain definitions, and serves them.
 * @module
 */
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import { WebSocketServer, type ServerOptions } from 'ws';
import { CloseCode, DEFAULTS, kHandshake, kSocket, noop } from '../constants';
import { collectHooks, getOwnGatewayMetadata } from '../decorators/metadata';
import { GatewayDefinitionError } from '../errors';
import { compileContract } from './compile-contract';
import { checkGatewayClass, checkNotShadowed } from './definition-checks';
import type { AppCloseOptions, AppOptions, GatewayOptions, Logger } from '../types';
import { isValidCloseCode } from '../connection/websocket-connection';
import { toPerMessageDeflate } from '../connection/compression';
import { HOOK_DECORATORS, type GatewayClass, type GatewayDefinition, type GatewayHooks } from '../server/definition';
import { compileRoute, Router, samePath } from '../server/router';
import { GatewayServer, type HandshakeRequest } from '../server/upgrade';
import { Hub } from '../topics/hub';
import type { PubSubLink } from '../topics/registry';
import { MemoryBroker } from '../topics/brokers/memory-broker';
import { assertOneTsyringe } from './one-tsyringe';

/** A running set of gateways. Create it with `createApp`. */
export interface App {
  /** Starts an embedded HTTP server for the gateways (port 0 picks a free one). */
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /** Serves the gateways' upgrades on an existing `http`/`https` server. */
  attach(server: HttpServer | HttpsServer): void;
  /**
   * Answers a plain HTTP request the way `listen()`'s server does: 426 for a gateway path,
   * 400 for an upgrade without `Connection: upgrade`, 404 elsewhere. For servers given to `attach`.
   */
  handleRequest(req: IncomingMessage, res: ServerResponse): void;
  /**
   * Graceful shutdown: stops accepting (new upgrades get 503), sends every connection a close frame
   * (1001 Going Away by default) behind the writes already in flight, waits for every `@OnClose`
   * and for the disposal of every connection's container, terminates the connections still open
   * after `timeout` ms (default: the app's `closeTimeout`), then closes the server `listen()`
   * created (a server given to `attach()` stays open). Idempotent: every call returns the first
   * call's promise. Rejects with `RangeError` (and closes nothing) for an invalid code, a reason
   * over 123 bytes or a negative timeout.
   *
   * @example
   * ```ts
   * process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
   * ```
   */
  close(options?: AppCloseOptions): Promise<void>;
  /** Open connections (from the 101 answer until `@OnClose` has run). */
  readonly connectionCount: number;
  /** The app's own child container (app-wide registrations live here). */
  readonly container: DependencyContainer;
}

function checkPositive(owner: string, name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
    throw new GatewayDefinitionError(`${owner}: ${name} must be a positive number, got ${String(value)}`);
  }
}

function checkGatewayOptions(owner: string, o: GatewayOptions): void {
  checkPositive(owner, 'maxMessageSize', o.maxMessageSize);
  checkPositive(owner, 'pingInterval', o.pingInterval);
  checkPositive(owner, 'pingTimeout', o.pingTimeout);
  checkPositive(owner, 'maxBackpressure', o.maxBackpressure);
  if (o.backpressurePolicy !== undefined && o.backpressurePolicy !== 'close' && o.backpressurePolicy !== 'drop') {
    throw new GatewayDefinitionError(`${owner}: backpressurePolicy must be 'close' or 'drop', got ${String(o.backpressurePolicy)}`);
  }
}

function checkCloseOptions({ code, reason, timeout }: AppCloseOptions): RangeError | undefined {
  if (code !== undefined && !isValidCloseCode(code)) return new RangeError(`app.close: invalid close code ${code}`);
  if (reason !== undefined && Buffer.byteLength(reason) > 123) return new RangeError('app.close: reason longer than 123 bytes');
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout >= 0)) {
    return new RangeError(`app.close: timeout must be a number ≥ 0, got ${String(timeout)}`);
  }
  return undefined;
}

/** One timer for the whole of app.close(): `race(p)` is true when `p` settled first, false once the time is up. */
function startDeadline(ms: number): { race(p: Promise<unknown>): Promise<boolean>; clear(): void } {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  return {
    race: (p) => Promise.race([p.then(() => true), expired]),
    clear: () => clearTimeout(timer),
  };
}

function compileHooks(cls: GatewayClass, contract: boolean): GatewayHooks {
  const name = cls.name || '(anonymous class)';
  for (let c: object | null = cls; c && c !== Function.prototype; c = Object.getPrototypeOf(c) as object | null) {
    const conflict = getOwnGatewayMetadata(c)?.conflicts[0];
    if (conflict) {
      const methods = conflict.methods.map(String).join(' and ');
      throw new GatewayDefinitionError(`${name}: ${HOOK_DECORATORS[conflict.kind]} is on two methods (${methods}); keep one`);
    }
  }
  const hooks = collectHooks(cls);
  if (hooks.message === undefined && !contract) throw new GatewayDefinitionError(`${name}: no @OnMessage method`);
  for (const [kind, method] of Object.entries(hooks)) {
    if (typeof (cls.prototype as Record<string | symbol, unknown>)[method] !== 'function') {
      throw new GatewayDefinitionError(`${name}: ${HOOK_DECORATORS[kind as keyof typeof HOOK_DECORATORS]} is on ${String(method)}, which is not a method`);
    }
  }
  return hooks as GatewayHooks;
}

function compileGateway(cls: GatewayClass, app: AppOptions, hub: Hub): Omit<GatewayDefinition, 'wss'> {
  const name = (typeof cls === 'function' && cls.name) || '(anonymous class)';
  if (typeof cls !== 'function') throw new GatewayDefinitionError(`createApp: gateways must be classes, got ${typeof cls}`);
  const meta = getOwnGatewayMetadata(cls);
  if (meta?.path === undefined) throw new GatewayDefinitionError(`${name}: not decorated with @Gateway(path)`);
  checkGatewayClass(name, cls, meta.path);
  checkGatewayOptions(name, meta.options);
  const o = { ...app, ...meta.options };
  const hooks = compileHooks(cls, meta.options.contract !== undefined);
  const compiledContract = compileContract(name, cls, meta.options, hooks.message);
  return {
    name,
    cls,
    path: meta.path,
    hooks,
    contract: compiledContract,
    pubsub: {
      host: hub,
      limits: {
        maxBackpressure: o.maxBackpressure ?? DEFAULTS.maxBackpressure,
        backpressurePolicy: o.backpressurePolicy ?? 'close',
      },
    } satisfies PubSubLink,
    settings: {
      maxMessageSize: compiledContract ? Math.min(o.maxMessageSize ?? Infinity, meta.options.maxMessageSize ?? DEFAULTS.contractMaxMessageSize) : (o.maxMessageSize ?? DEFAULTS.maxMessageSize),
      pingInterval: o.pingInterval,
      pingTimeout: o.pingInterval ? (o.pingTimeout ?? o.pingInterval) : undefined,
      maxQueuedMessages: app.maxQueuedMessages ?? DEFAULTS.maxQueuedMessages,
      closeTimeout: app.closeTimeout ?? DEFAULTS.closeTimeout,
    },
  };
}

function createWebSocketServer(def: Omit<GatewayDefinition, 'wss'>, compression: AppOptions['compression'], server: GatewayServer): WebSocketServer {
  const wss = new WebSocketServer({
    noServer: true,
    // ws ≥ 8.23 cuts off a peer that does not answer our close frame after closeTimeout ms.
    clientTracking: false,
    maxPayload: def.settings.maxMessageSize,
    perMessageDeflate: toPerMessageDeflate(compression),
    closeTimeout: def.settings.closeTimeout,
    // ws would pick the first offered protocol; tornado (and wsgate) pick what @Subprotocol chose, or none.
    handleProtocols: (_offered, req: HandshakeRequest) => req[kHandshake]?.subprotocol ?? false,
  } as ServerOptions & { closeTimeout: number });
  wss.on('wsClientError', server.onClientError);
  return wss;
}

/**
 * Validates the gateways and builds an app serving them. Configuration mistakes throw
 * `GatewayDefinitionError` naming the class.
 *
 * @example
 * ```ts
 * const app = createApp({ gateways: [EchoGateway] });
 * await app.listen(8888);
 * ```
 */
export function createApp(options: AppOptions): App {
  if (!options || !Array.isArray(options.gateways) || options.gateways.length === 0) {
    throw new GatewayDefinitionError('createApp: `gateways` must list at least one @Gateway class');
  }
  checkGatewayOptions('createApp', options);
  checkPositive('createApp', 'handshakeTimeout', options.handshakeTimeout);
  checkPositive('createApp', 'maxConnections', options.maxConnections);
  checkPositive('createApp', 'maxQueuedMessages', options.maxQueuedMessages);
  checkPositive('createApp', 'closeTimeout', options.closeTimeout);
  assertOneTsyringe(options.container);
  const logger: Logger = options.logger ?? console;
  const appContainer = (options.container ?? rootContainer).createChildContainer();
  const hub = new Hub(options.broker ?? new MemoryBroker(), logger);
  appContainer.register(Hub, { useValue: hub });
  const router = new Router<GatewayDefinition>();
  const gatewayServer = new GatewayServer({ router, container: appContainer, logger, maxConnections: options.maxConnections ?? Infinity });

  const compiled: GatewayDefinition[] = [];
  for (const cls of options.gateways as GatewayClass[]) {
    const partial = compileGateway(cls, options, hub);
    const clash = compiled.find((d) => d.cls === cls || samePath(d.path, partial.path));
    if (clash) {
      throw new GatewayDefinitionError(
        clash.cls === cls
          ? `${partial.name}: listed twice in gateways`
          : `${partial.name}: path ${String(partial.path)} is already served by ${clash.name}`,
      );
    }
    checkNotShadowed(partial, compiled);
    const compression = getOwnGatewayMetadata(cls)?.options.compression ?? options.compression;
    const def: GatewayDefinition = { ...partial, wss: createWebSocketServer(partial, compression, gatewayServer) };
    compiled.push(def);
    router.add(compileRoute(def.path, def));
  }

  const handshakeTimeout = options.handshakeTimeout ?? DEFAULTS.handshakeTimeout;
  const closeTimeout = options.closeTimeout ?? DEFAULTS.closeTimeout;
  const attached = new Set<HttpServer | HttpsServer>();
  let ownServer: HttpServer | undefined;
  /** listen() under way: app.close() lets it finish before closing the server (settles, never rejects). */
  let pendingListen: Promise<unknown> | undefined;
  let closed: Promise<void> | undefined;

  const app: App = {
    get connectionCount() {
      return gatewayServer.live.size;
    },
    container: appContainer,
    handleRequest: gatewayServer.handleRequest,

    attach(server) {
      if (closed) throw new GatewayDefinitionError('attach: the app is closed');
      if (attached.has(server)) return;
      attached.add(server);
      server.on('upgrade', gatewayServer.handleUpgrade);
      hub.start().catch((err: unknown) => logger.error('wsgate: the broker did not start:', err));
    },

    async listen(port = 0, host) {
      if (ownServer) throw new GatewayDefinitionError('listen: the app is already listening');
      // Slowloris: an upgrade whose headers are incomplete after handshakeTimeout is cut off.
      const server = createServer({
        headersTimeout: handshakeTimeout,
        requestTimeout: handshakeTimeout,
        connectionsCheckingInterval: Math.min(1000, handshakeTimeout),
      });
      server.on('request', gatewayServer.handleRequest);
      ownServer = server;
      attached.add(server);
      server.on('upgrade', gatewayServer.handleUpgrade);
      const listening = (async (): Promise<AddressInfo> => {
        await hub.start(); // a broker that cannot connect fails listen() with BrokerError
        // app.close() while the broker started: the server must not start listening after it.
        if (closed) throw new GatewayDefinitionError('listen: the app was closed while it started');
        return new Promise<AddressInfo>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, host, () => {
            server.off('error', reject);
            resolve(server.address() as AddressInfo);
          });
        });
      })();
      pendingListen = listening.catch(noop);
      return listening;
    },

    close(closeOptions = {}) {
      // Checked before the first call is remembered: a bad argument must not leave the app unclosable.
      const invalid = closed ? undefined : checkCloseOptions(closeOptions);
      if (invalid) return Promise.reject(invalid);
      closed ??= closeApp(closeOptions);
      return closed;
    },
  };

  async function closeApp({ code = CloseCode.goingAway, reason = 'Going Away', timeout = closeTimeout }: AppCloseOptions): Promise<void> {
    gatewayServer.closing = true;
    const connections = [...gatewayServer.live];
    // close() sends the close frame behind whatever is already queued on the socket, so writes in
    // flight are flushed first; it resolves once the connection has ended and @OnClose has run.
    const ended = Promise.all(connections.map((d) => d.conn.close(code, reason)));
    const deadline = startDeadline(timeout);
    try {
      if (!(await deadline.race(ended))) {
        for (const d of gatewayServer.live) d.conn[kSocket]?.terminate();
      }
      await ended;
      // Disposal waits for handlers still running; one that never settles must not hold the app.
      // Past the deadline, disposals already under way (of connections just cut) get one more turn.
      const disposed = Promise.all(connections.map((d) => d.whenDisposed()));
      if (!(await deadline.race(disposed))) await Promise.race([disposed, new Promise((resolve) => setImmediate(resolve))]);
    } finally {
      deadline.clear();
    }
    for (const server of attached) server.off('upgrade', gatewayServer.handleUpgrade);
    await hub.close().catch((err: unknown) => logger.error('wsgate: closing the broker failed:', err));
    await pendingListen;
    if (ownServer) {
      const server = ownServer;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
  }

  return app;
}
