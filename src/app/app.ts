/**
 * createApp(): validates the gateways once, compiles them into plain definitions, and serves them.
 * @module
 */
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import { CloseCode, DEFAULTS, MAX_CLOSE_REASON_BYTES, noop } from '../constants';
import { GatewayDefinitionError } from '../errors';
import type { AppCloseOptions, AppOptions, Logger } from '../types';
import { isValidCloseCode } from '../connection/websocket-connection';
import type { GatewayDefinition } from '../server/definition';
import { compileRoute, Router } from '../server/router';
import { GatewayServer } from '../server/upgrade';
import { Hub } from '../topics/hub';
import { MemoryBroker } from '../topics/brokers/memory-broker';
import { applyHandshakeTimeout, upgradeListener, type UpgradeListener } from './attach';
import { checkGatewayOptions, checkPositive, compileGateways } from './compile';
import { assertOneTsyringe } from './one-tsyringe';
import { compileTrustProxy } from '../auth/client-address';

/** A running set of gateways. Create it with `createApp`. */
export interface App {
  /**
   * Starts an embedded HTTP server for the gateways (port 0 picks a free one). A listen() that
   * fails (the broker cannot connect, the port is taken) leaves the app as it was: it may be called again.
   */
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /**
   * Serves the gateways' upgrades on an existing `http`/`https` server. Upgrades for paths no
   * gateway serves are left to the server's other 'upgrade' listeners (404 when there are none).
   * `handshakeTimeout` applies to the server's requests too: its `headersTimeout` is lowered to it,
   * and, when it is not listening yet, its `connectionsCheckingInterval` to at most 1 s.
   */
  attach(server: HttpServer | HttpsServer): void;
  /**
   * Routes an upgrade request by hand (the `noServer` way): returns true when a gateway serves its
   * path (wsgate answers it), false otherwise, leaving the socket untouched.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /**
   * Answers a plain HTTP request the way `listen()`'s server does: 426 for a gateway path,
   * 400 for an upgrade without `Connection: upgrade`, 404 elsewhere. For servers given to `attach`.
   */
  handleRequest(req: IncomingMessage, res: ServerResponse): void;
  /**
   * Graceful shutdown: stops accepting (new upgrades get 503); with `drain`, stops reading and lets
   * running handlers finish; sends every connection a close frame (1001 Going Away by default)
   * behind the writes already in flight; waits for every `@OnClose` and the disposal of every
   * connection's container; after `timeout` ms (default: the app's `closeTimeout`) cuts what is
   * still open and stops waiting for user code (hooks still running are logged); then closes the
   * broker and the server `listen()` created (a server given to `attach()` stays open). Always
   * resolves. Idempotent: every call returns the first call's promise. Rejects with `RangeError`
   * (and closes nothing) for an invalid code, a reason over 123 bytes or a negative timeout.
   *
   * @example
   * ```ts
   * process.once('SIGTERM', () => void app.close().finally(() => process.exit(0)));
   * ```
   */
  close(options?: AppCloseOptions): Promise<void>;
  /** Open connections (from the 101 answer until `@OnClose` has run). */
  readonly connectionCount: number;
  /** The app's own child container (app-wide registrations live here). */
  readonly container: DependencyContainer;
}

function checkCloseOptions({ code, reason, timeout }: AppCloseOptions): RangeError | undefined {
  if (code !== undefined && !isValidCloseCode(code)) return new RangeError(`app.close: invalid close code ${code}`);
  if (reason !== undefined && Buffer.byteLength(reason) > MAX_CLOSE_REASON_BYTES) return new RangeError(`app.close: reason longer than ${MAX_CLOSE_REASON_BYTES} bytes`);
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout >= 0)) {
    return new RangeError(`app.close: timeout must be a number ≥ 0, got ${String(timeout)}`);
  }
  return undefined;
}

/** Where the app serves upgrades: the server, its listener, and how to restore its settings. */
interface Attachment {
  readonly listener: UpgradeListener;
  readonly restore: () => void;
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
  const trustProxy = compileTrustProxy('createApp', options.trustProxy);
  assertOneTsyringe(options.container);
  const logger: Logger = options.logger ?? console;
  const appContainer = (options.container ?? rootContainer).createChildContainer();
  const hub = new Hub(options.broker ?? new MemoryBroker(), logger);
  appContainer.register(Hub, { useValue: hub });
  const router = new Router<GatewayDefinition>();
  const handshakeTimeout = options.handshakeTimeout ?? DEFAULTS.handshakeTimeout;
  const gatewayServer = new GatewayServer({
    router, container: appContainer, logger, maxConnections: options.maxConnections ?? Infinity, trustProxy, handshakeTimeout,
  });
  const parts = { hub, onClientError: gatewayServer.onClientError, wheel: gatewayServer.wheel, logger };
  for (const def of compileGateways(options, parts)) router.add(compileRoute(def.path, def));

  const closeTimeout = options.closeTimeout ?? DEFAULTS.closeTimeout;
  const attached = new Map<HttpServer | HttpsServer, Attachment>();
  let ownServer: HttpServer | undefined;
  /** listen() under way: app.close() lets it finish before closing the server (settles, never rejects). */
  let pendingListen: Promise<unknown> | undefined;
  let closed: Promise<void> | undefined;

  function serve(server: HttpServer | HttpsServer, restore: () => void): void {
    const listener = upgradeListener(server, gatewayServer.handleUpgrade);
    attached.set(server, { listener, restore });
    server.on('upgrade', listener);
  }

  function unserve(server: HttpServer | HttpsServer): void {
    const attachment = attached.get(server);
    if (!attachment) return;
    attached.delete(server);
    server.off('upgrade', attachment.listener);
    attachment.restore();
  }

  const app: App = {
    get connectionCount() {
      return gatewayServer.connectionCount;
    },
    container: appContainer,
    handleRequest: gatewayServer.handleRequest,
    handleUpgrade: gatewayServer.handleUpgrade,

    attach(server) {
      if (closed) throw new GatewayDefinitionError('attach: the app is closed');
      if (attached.has(server)) return;
      serve(server, applyHandshakeTimeout(server, handshakeTimeout));
      hub.start().catch((err: unknown) => logger.error('wsgate: the broker did not start:', err));
    },

    async listen(port = 0, host) {
      if (ownServer) throw new GatewayDefinitionError('listen: the app is already listening');
      if (closed) throw new GatewayDefinitionError('listen: the app is closed');
      // Slowloris: an upgrade whose headers are incomplete after handshakeTimeout is cut off.
      const server = createServer({
        headersTimeout: handshakeTimeout,
        requestTimeout: handshakeTimeout,
        connectionsCheckingInterval: Math.min(1000, handshakeTimeout),
      });
      server.on('request', gatewayServer.handleRequest);
      ownServer = server;
      serve(server, noop);
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
      try {
        return await listening;
      } catch (err) {
        // A failed listen() leaves the app as it was, so it can be called again.
        if (ownServer === server) {
          ownServer = undefined;
          unserve(server);
        }
        throw err;
      }
    },

    close(closeOptions = {}) {
      // Checked before the first call is remembered: a bad argument must not leave the app unclosable.
      const invalid = closed ? undefined : checkCloseOptions(closeOptions);
      if (invalid) return Promise.reject(invalid);
      closed ??= closeApp(closeOptions);
      return closed;
    },
  };

  async function closeApp({ code = CloseCode.goingAway, reason = 'Going Away', timeout = closeTimeout, drain = false }: AppCloseOptions): Promise<void> {
    try {
      await gatewayServer.close({ code, reason, timeout, drain });
    } finally {
      for (const server of [...attached.keys()]) unserve(server);
      await hub.close().catch((err: unknown) => logger.error('wsgate: closing the broker failed:', err));
      await pendingListen;
      const server = ownServer;
      if (server?.listening) {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      }
    }
  }

  return app;
}
