/**
 * HTTP servers for the integration suite: a wsgate app attached to a server of ours (so that the
 * same origin can serve a page), a plain page server for "another origin", and a recorder of the
 * status line each upgrade request was answered with, seen from the server side.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createApp, type App, type AppOptions } from '../../../src';
import { memoryLogger } from '../../helpers/app';

export const BLANK_PAGE = '<!doctype html><html><head><meta charset="utf-8"><title>wsgate test page</title></head><body><p id="status">ready</p></body></html>';

/** The first bytes the server wrote on an upgrade socket: its HTTP answer. */
export interface UpgradeAnswer {
  readonly url: string | undefined;
  readonly origin: string | undefined;
  readonly status: number | undefined;
  /** The answer's header block, as written. */
  readonly head: string;
}

/**
 * Records the answer to every upgrade request of `server`: a listener put before wsgate's
 * observes what is written on the socket (the 101 from ws, or wsgate's refusal).
 */
export function recordUpgradeAnswers(server: Server): UpgradeAnswer[] {
  const answers: UpgradeAnswer[] = [];
  server.prependListener('upgrade', (req: IncomingMessage, socket: Duplex) => {
    type Writer = (chunk: unknown, ...rest: unknown[]) => unknown;
    const s = socket as unknown as { write: Writer; end: Writer };
    const write = s.write;
    const end = s.end;
    let seen = false;
    const capture = (chunk: unknown): void => {
      if (seen || chunk === undefined || chunk === null || typeof chunk === 'function') return;
      seen = true;
      const text = Buffer.isBuffer(chunk) ? chunk.toString('latin1') : String(chunk);
      const head = text.split('\r\n\r\n')[0];
      const status = /^HTTP\/1\.1 (\d{3})/.exec(head);
      answers.push({ url: req.url, origin: req.headers.origin, status: status ? Number(status[1]) : undefined, head });
    };
    s.write = function (this: unknown, chunk: unknown, ...rest: unknown[]) {
      capture(chunk);
      return write.call(this, chunk, ...rest);
    };
    s.end = function (this: unknown, chunk: unknown, ...rest: unknown[]) {
      capture(chunk);
      return end.call(this, chunk, ...rest);
    };
  });
  return answers;
}

export interface GatewayServer {
  readonly app: App;
  readonly server: Server;
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  /** ws://127.0.0.1:PORT + path */
  url(path: string): string;
  /** Status lines of every upgrade answer, in order. */
  readonly answers: UpgradeAnswer[];
  /** What the app logged as an error or a warning (warnings prefixed `warn: `). */
  readonly errors: string[];
  stop(): Promise<void>;
}

/**
 * createApp + an HTTP server on 127.0.0.1:0 of our own: GET /blank answers BLANK_PAGE (a page of
 * the gateways' own origin), everything else goes to wsgate (app.attach / app.handleRequest).
 */
export async function startGatewayServer(options: AppOptions): Promise<GatewayServer> {
  const logger = memoryLogger();
  const app = createApp({ logger, ...options });
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/blank') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(BLANK_PAGE);
    } else {
      app.handleRequest(req, res);
    }
  });
  const answers = recordUpgradeAnswers(server);
  app.attach(server);
  await listen(server);
  const { port } = server.address() as AddressInfo;
  let stopping: Promise<void> | undefined;
  return {
    app,
    server,
    port,
    origin: `http://127.0.0.1:${port}`,
    url: (path) => `ws://127.0.0.1:${port}${path}`,
    answers,
    get errors() {
      return [...logger.errors, ...logger.warnings.map((w) => `warn: ${w}`)];
    },
    stop() {
      stopping ??= (async () => {
        await app.close();
        await closeServer(server);
      })();
      return stopping;
    },
  };
}

/** A plain HTTP server on 127.0.0.1:0 answering `html` to every GET: a page of another origin. */
export async function startPageServer(html = BLANK_PAGE): Promise<{ server: Server; origin: string; stop(): Promise<void> }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(html);
  });
  await listen(server);
  const { port } = server.address() as AddressInfo;
  return { server, origin: `http://127.0.0.1:${port}`, stop: () => closeServer(server) };
}

export function listen(server: Server, port = 0, host = '127.0.0.1'): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Closes the server, cutting idle keep-alive sockets (a browser keeps them open). */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
