/**
 * NestJS request/reply on @nestjs/platform-ws: `@SubscribeMessage('add')` validates with the same
 * zod schema (safeParse inside the handler) and returns `{ event, data }`, which WsAdapter sends
 * as JSON. platform-ws has no request ids: the client matches replies in order.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { WsAdapter } from '@nestjs/platform-ws';
import { MessageBody, SubscribeMessage, WebSocketGateway, type WsResponse } from '@nestjs/websockets';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HOST, serve } from '../common/harness';
import { add, AddRequest, RTT_PATH, RTT_TYPE, validationError } from '../common/rtt';

@WebSocketGateway({ path: RTT_PATH })
class CalculatorGateway {
  @SubscribeMessage(RTT_TYPE)
  onAdd(@MessageBody() data: unknown): WsResponse<unknown> {
    const parsed = AddRequest.safeParse(data);
    if (!parsed.success) return { event: 'error', data: validationError(parsed.error) };
    return { event: RTT_TYPE, data: add(parsed.data) };
  }
}

@Module({ providers: [CalculatorGateway] })
class AppModule {}

void serve('nest-rtt', async () => {
  const app = await NestFactory.create(AppModule, { logger: ['error'] });
  app.useWebSocketAdapter(new WsAdapter(app));
  await app.listen(0, HOST);
  const server = app.getHttpServer() as Server;
  return {
    port: (server.address() as AddressInfo).port,
    close: () => app.close(),
  };
});
