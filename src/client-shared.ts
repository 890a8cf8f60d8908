/**
 * What `wsgate/client` exports in Node and in browsers alike, besides `connect`.
 * No imports but relative ones.
 * @module
 */
export * from './contract';
export { TimeoutError, WebSocketClosedError } from './errors';
export type { ContractClient } from './protocol/client/typed-client';
export type { ContractError, ErrorData, PayloadArgs } from './protocol/client/client-types';
export type {
  ClientHandlerContext, ClientState, ReconnectOptions, TypedCallOptions, TypedClientOptions, TypedStreamOptions,
} from './protocol/client/options';
