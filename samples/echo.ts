/**
 * The seed example (the README's "Example"): ws://localhost:8888/websocket answers "You said: …", and
 * http://localhost:8888/ serves a page that uses it. Run with `npm start`.
 */
import 'reflect-metadata';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { singleton } from 'tsyringe';
import { Connection, createApp, Gateway, OnClose, OnMessage, OnOpen, type App, type AppOptions } from '../src';
import { ECHO_PAGE } from './echo-page';

@singleton()
export class Greeter {
  greet(s: string): string {
    return `You said: ${s}`;
  }
}

@Gateway('/websocket')
export class EchoGateway {
  constructor(
    private readonly conn: Connection,
    private readonly greeter: Greeter,
  ) {}

  @OnOpen() open(): void {
    console.log('WebSocket opened');
  }

  @OnMessage() onMessage(m: string): Promise<void> {
    return this.conn.writeMessage(this.greeter.greet(m));
  }

  @OnClose() onClose(): void {
    console.log('WebSocket closed', this.conn.closeCode);
  }
}

/** Starts the echo sample: the page at `/` and the gateway at `/websocket`, on one HTTP server. */
export async function startEcho(
  port = 8888,
  host?: string,
  options: Pick<AppOptions, 'handshakeTimeout' | 'closeTimeout'> = {},
): Promise<{ app: App; server: Server; address: AddressInfo; stop(): Promise<void> }> {
  const app = createApp({ gateways: [EchoGateway], ...options });
  const server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/' || req.url === '/index.html')) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(ECHO_PAGE);
    } else {
      app.handleRequest(req, res);
    }
  });
  // attach() before listen(): handshakeTimeout then also cuts slow upgrade requests (slowloris) to this server.
  app.attach(server);
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  const stop = async (): Promise<void> => {
    await app.close(); // 1001 to every WebSocket, @OnClose and disposal awaited
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // A browser that loaded the page keeps spare connections (keep-alive, preconnect) that Node
      // does not count as idle: without this, close() waits for them up to headersTimeout (~60 s).
      server.closeAllConnections();
    });
  };
  return { app, server, address: server.address() as AddressInfo, stop };
}


if (require.main === module) {
  const port = Number(process.env.PORT ?? 8888);
  startEcho(port, process.env.HOST).then(
    ({ stop, address }) => {
      console.log(`wsgate echo: ws://localhost:${address.port}/websocket, page at http://localhost:${address.port}/`);
      // Graceful shutdown: every WebSocket gets 1001 Going Away, then the HTTP server closes.
      // app.close() always resolves (its timeout bounds user code too), so the process always exits.
      const shutdown = (): void => void stop().finally(() => process.exit(0));
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
