/**
 * `wsgate/contract`: define the messages of a protocol once, for the server and its clients. No
 * Node dependency: browsers load the same module.
 * @module
 */
export { defineContract, PROTOCOL_NAME } from './protocol/contract';
export type {
  ClientData,
  ClientEventType,
  ClientReply,
  ClientRequestType,
  ClientStreamType,
  ClientType,
  Contract,
  ContractDefinition,
  ContractGatewayOptions,
  ErrorCode,
  In,
  MessageSpec,
  Out,
  ReservedCode,
  Schema,
  ServerData,
  ServerDataReceived,
  ServerEventType,
  ServerReply,
  ServerReplyInput,
  ServerRequestType,
  ServerType,
} from './protocol/contract';
export type { MessageContext } from './protocol/context';
export { MessageError } from './errors';
