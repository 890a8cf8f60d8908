/**
 * A contract gateway compiled once at createApp: its message types with their handler methods.
 * @module
 */
import type { Contract, Schema } from '../../protocol/contract';

export interface CompiledMessageType {
  readonly name: string;
  readonly method: string | symbol;
  readonly data: Schema | undefined;
  readonly reply: Schema | undefined;
  readonly stream: boolean;
  /** "ChatGateway.say (@OnMessage 'say')", for log lines. */
  readonly label: string;
}

export interface CompiledContract {
  readonly contract: Contract;
  readonly types: ReadonlyMap<string, CompiledMessageType>;
  /** Handlers run at once per connection (default 1: one at a time, in arrival order). */
  readonly concurrency: number;
  /** `'close'`: BAD_MESSAGE, UNKNOWN_TYPE and VALIDATION close with 1008 instead of an error reply. */
  readonly onInvalidMessage: 'reply' | 'close';
  /** Validate replies, events and error data before sending them. */
  readonly validateOutgoing: boolean;
  /** A plain `@OnMessage()` for binary frames, if the gateway declares one. */
  readonly binaryMethod: string | symbol | undefined;
  readonly gatewayName: string;
}
