/**
 * NestJS request/reply on @nestjs/platform-ws: `@SubscribeMessage('add')` validates with the same
 * zod schema (safeParse inside the handler) and returns `{ event, data }`, which WsAdapter sends
 * as JSON. platform-ws has no request ids: the client matches replies in order.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { MessageBody, SubscribeMessage, WebSocketGateway, type WsResponse } from '@nestjs/websockets';
import { serveNest } from '../common/nest';
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

serveNest('nest-rtt', AppModule);
