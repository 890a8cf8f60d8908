/**
 * NestJS JSON echo: a @WebSocketGateway on @nestjs/platform-ws (WsAdapter) with
 * @SubscribeMessage('echo'), on the HTTP server NestFactory.create() makes (platform-express: Nest
 * needs an HTTP adapter to host gateways that share the app's port, the common set-up).
 * The client sends {"event":"echo","data":…}; the answer {event:'echo', data} is the same JSON.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { MessageBody, SubscribeMessage, WebSocketGateway, type WsResponse } from '@nestjs/websockets';
import { ECHO_PATH } from '../common/harness';
import { serveNest } from '../common/nest';

@WebSocketGateway({ path: ECHO_PATH })
class EchoGateway {
  @SubscribeMessage('echo')
  onEcho(@MessageBody() data: unknown): WsResponse<unknown> {
    return { event: 'echo', data };
  }
}

@Module({ providers: [EchoGateway] })
class AppModule {}

serveNest('nest-json', AppModule);
