/**
 * wsgate — decorator-based WebSocket gateways for Node.js, with tornado.websocket's semantics.
 * @module
 */
export { Gateway } from './decorators/gateway';
export { CheckOrigin, OnClose, OnMessage, OnOpen, OnPing, OnPong, Subprotocol } from './decorators/handlers';
export { createApp } from './runtime/app';
export type { App } from './runtime/app';
export { Connection } from './runtime/connection';
export { Hub } from './runtime/hub';
export { MemoryBroker, MemoryBus } from './brokers/memory-broker';
export type { MemoryBrokerOptions } from './brokers/memory-broker';
export type { Broker, BrokerContext } from './brokers/broker';
export { WebSocketConnection } from './runtime/base-connection';
export { websocketConnect } from './runtime/client';
export { ClientConnection } from './runtime/client-connection';
export type { ConnectOptions, ConnectRequest } from './runtime/client-options';
export {
  BrokerError,
  GatewayDefinitionError,
  TimeoutError,
  WebSocketClosedError,
  WebSocketConnectError,
  WebSocketError,
  WebSocketHandshakeError,
} from './errors';
export type {
  AppCloseOptions,
  AppOptions,
  BackpressurePolicy,
  CompressionOptions,
  GatewayOptions,
  IncomingMessage,
  Logger,
  OutgoingMessage,
  PublishOptions,
  WriteOptions,
} from './types';
