/**
 * How the NestJS benchmark servers start: `NestFactory.create()` (platform-express, the common
 * set-up), the `ws` adapter, `listen()`, all through the harness's control port.
 */
import { NestFactory } from '@nestjs/core';
import { WsAdapter } from '@nestjs/platform-ws';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HOST, serve } from './harness';

export function serveNest(name: string, module: new () => object): void {
  void serve(name, async () => {
    const app = await NestFactory.create(module, { logger: ['error'] });
    app.useWebSocketAdapter(new WsAdapter(app));
    await app.listen(0, HOST);
    const server = app.getHttpServer() as Server;
    return {
      port: (server.address() as AddressInfo).port,
      close: () => app.close(),
    };
  });
}
