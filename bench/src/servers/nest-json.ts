/**
 * NestJS JSON echo: a @WebSocketGateway on @nestjs/platform-ws (WsAdapter) with
 * @SubscribeMessage('echo'), on the HTTP server NestFactory.create() makes (platform-express: Nest
 * needs an HTTP adapter to host gateways that share the app's port, the common set-up).
 * The client sends {"event":"echo","data":…}; the answer {event:'echo', data} is the same JSON.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { WsAdapter } from '@nestjs/platform-ws';
import { MessageBody, SubscribeMessage, WebSocketGateway, type WsResponse } from '@nestjs/websockets';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ECHO_PATH, HOST, serve } from '../common/harness';

@WebSocketGateway({ path: ECHO_PATH })
class EchoGateway {
  @SubscribeMessage('echo')
  onEcho(@MessageBody() data: unknown): WsResponse<unknown> {
    return { event: 'echo', data };
  }
}

@Module({ providers: [EchoGateway] })
class AppModule {}

void serve('nest-json', async () => {
  const app = await NestFactory.create(AppModule, { logger: ['error'] });
  app.useWebSocketAdapter(new WsAdapter(app));
  await app.listen(0, HOST);
  const server = app.getHttpServer() as Server;
  return {
    port: (server.address() as AddressInfo).port,
    close: () => app.close(),
  };
});
