/**
 * wsgate — decorator-based WebSocket gateways for Node.js, with tornado.websocket's semantics.
 * @module
 */
export { Gateway } from './decorators/gateway';
export { CheckOrigin, OnClose, OnMessage, OnOpen, OnPing, OnPong, OnReauth, Subprotocol } from './decorators/handlers';
export { createApp } from './app/app';
// The DI decorators, from the one tsyringe wsgate resolves gateways with (a peer dependency): an app
// that imports them from here cannot end up registering services in a copy wsgate never reads.
export { inject, injectable, Lifecycle, scoped, singleton } from 'tsyringe';
export type { DependencyContainer } from 'tsyringe';
export type { App } from './app/app';
export { Connection } from './server/connection';
export type { HandshakeRequest } from './server/handshake-request';
export { Principal } from './auth/guard';
export type { Guard, GuardClass, GuardResult, Handshake } from './auth/guard';
export { Hub } from './topics/hub';
export type { PublishOptions } from './topics/hub';
export { MemoryBroker, MemoryBus } from './topics/brokers/memory-broker';
export type { MemoryBrokerOptions } from './topics/brokers/memory-broker';
export type { Broker, BrokerContext } from './topics/brokers/broker';
export { WebSocketConnection } from './connection/websocket-connection';
export { websocketConnect } from './client/connect';
export { ClientConnection } from './client/client-connection';
export type { ConnectOptions, ConnectRequest } from './client/options';
export type { ReadOptions } from './client/inbox';
export { defineContract, PROTOCOL_NAME } from './protocol/contract';
export type { ClientType, Contract, ContractDefinition, ContractGatewayOptions, ErrorCode, In, MessageSpec, Out } from './protocol/contract';
export type { ReservedCode, Schema, ServerData, ServerEventType, ServerReply, ServerRequestType } from './protocol/contract';
export type { MessageContext } from './protocol/context';
export type { CallOptions } from './protocol/pending-calls';
export type { Id } from './protocol/envelope';
export {
  BrokerError,
  GatewayDefinitionError,
  HandshakeRejection,
  MessageError,
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
  HandshakeRateLimit,
  IncomingMessage,
  Logger,
  OutgoingMessage,
  RateLimitKeyInput,
  TrustProxy,
  WriteOptions,
} from './types';
