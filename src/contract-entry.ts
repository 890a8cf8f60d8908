/**
 * `wsgate/contract`: what a contract shared by a server and its clients needs. Loads in browsers
 * as it is (no imports but relative ones).
 * @module
 */
export { defineContract, PROTOCOL_NAME } from './protocol/contract';
export type {
  ClientData, ClientEventType, ClientReply, ClientRequestType, ClientStreamType, ClientType, Contract, ContractDefinition,
  ErrorCode, In, MessageSpec, Out, ReservedCode, Schema, ServerData, ServerDataReceived, ServerEventType, ServerReply,
  ServerReplyInput, ServerRequestType, ServerType,
} from './protocol/contract';
export type { WireIssue } from './protocol/envelope';
export { MessageError } from './errors';
