/**
 * Contracts: the message types each side of a connection may send, with a Standard Schema for
 * each payload, shared by the server and its clients (Node or browser). This module has no
 * imports but relative and type-only ones, so the browser build can load it as it is.
 * The wire format is in docs/protocol.md.
 * @module
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';

/** Any Standard Schema (zod 4, valibot, arktype, …). */
export type Schema = StandardSchemaV1;

/** One message type: its payload, and for a request what it answers. */
export interface MessageSpec {
  /** Schema of the payload; without one the message carries no data. */
  readonly data?: Schema;
  /** Schema of the answer: the message is a request (or, with `stream`, the schema of each item). */
  readonly reply?: Schema;
  /** The handler is an `async *` generator: the answer is a stream of `reply` items. */
  readonly stream?: boolean;
  /** Client events only: dropped rather than queued while the typed client reconnects. */
  readonly volatile?: boolean;
}

/** What `defineContract` takes. */
export interface ContractDefinition {
  /** What a client may send: events and requests the gateway handles. */
  readonly client: Readonly<Record<string, MessageSpec>>;
  /** What the server sends on its own: events (`conn.send`) and requests (`conn.call`). */
  readonly server?: Readonly<Record<string, MessageSpec>>;
  /** Application error codes and the schema of the data they carry (`MessageError`). */
  readonly errors?: Readonly<Record<string, Schema>>;
}

declare const kContract: unique symbol;

/** A contract made by `defineContract`. */
export type Contract<D extends ContractDefinition = ContractDefinition> = D & { readonly [kContract]: true };

/** `@Gateway(path, options)` options of a contract gateway. */
export interface ContractGatewayOptions {
  /**
   * The gateway speaks this contract (`defineContract`): text frames are envelopes, handled by its
   * `@OnMessage(contract, type)` methods. Contract gateways default `maxMessageSize` to 1 MiB.
   */
  contract?: Contract;
  /** Contract gateways: handlers of one connection that may run at once (default 1: in order). */
  concurrency?: number;
  /** Contract gateways: `'close'` closes with 1008 on BAD_MESSAGE, UNKNOWN_TYPE and VALIDATION instead of answering them. */
  onInvalidMessage?: 'reply' | 'close';
  /** Contract gateways: validate replies, events and error data before sending them (a failure is logged and answered INTERNAL). */
  validateOutgoing?: boolean;
}

/** The protocol name the typed client offers and contract gateways select. */
export const PROTOCOL_NAME = 'wsgate.v1';

/** Message types wsgate itself uses; a contract may not declare names starting with `$`. */
export const RESERVED_TYPES = ['$error', '$cancel', '$auth', '$auth.expiring', '$presence', '$resume'] as const;

/** Error codes wsgate itself sends. */
export type ReservedCode =
  | 'BAD_MESSAGE'
  | 'UNKNOWN_TYPE'
  | 'VALIDATION'
  | 'DUPLICATE_ID'
  | 'OVERLOADED'
  | 'INTERNAL'
  | 'UNAUTHORIZED'
  | 'TIMEOUT'
  | 'CANCELLED'
  | 'OVERFLOW';

/** A schema's output type, or `undefined` without a schema. */
type OutputOf<S> = S extends Schema ? StandardSchemaV1.InferOutput<S> : undefined;
/** A schema's input type, or `undefined` without a schema. */
type InputOf<S> = S extends Schema ? StandardSchemaV1.InferInput<S> : undefined;
type Spec<M, T> = T extends keyof M ? M[T] : never;
type DataOf<S> = S extends { data: infer D } ? D : undefined;
type ServerSide<C extends ContractDefinition> = C['server'] extends Readonly<Record<string, MessageSpec>> ? C['server'] : Record<never, MessageSpec>;

/** The message types a client may send. */
export type ClientType<C extends ContractDefinition> = keyof C['client'] & string;
/** The message types the server sends on its own. */
export type ServerType<C extends ContractDefinition> = keyof ServerSide<C> & string;
/** Client types that are requests (declared with `reply`), not streams. */
export type ClientRequestType<C extends ContractDefinition> = {
  [T in ClientType<C>]: C['client'][T] extends { reply: Schema } ? (C['client'][T] extends { stream: true } ? never : T) : never;
}[ClientType<C>];
/** Client types whose answer is a stream. */
export type ClientStreamType<C extends ContractDefinition> = {
  [T in ClientType<C>]: C['client'][T] extends { stream: true } ? T : never;
}[ClientType<C>];
/** Client types that are events (no `reply`). */
export type ClientEventType<C extends ContractDefinition> = {
  [T in ClientType<C>]: C['client'][T] extends { reply: Schema } ? never : T;
}[ClientType<C>];
/** Server types that are events. */
export type ServerEventType<C extends ContractDefinition> = {
  [T in ServerType<C>]: ServerSide<C>[T] extends { reply: Schema } ? never : T;
}[ServerType<C>];
/** Server types that are requests (answered by the client's `handle`). */
export type ServerRequestType<C extends ContractDefinition> = {
  [T in ServerType<C>]: ServerSide<C>[T] extends { reply: Schema } ? T : never;
}[ServerType<C>];

/** What a handler of client type `T` receives: the payload schema's output. */
export type In<C extends ContractDefinition, T extends ClientType<C>> = OutputOf<DataOf<Spec<C['client'], T>>>;
/** What a handler of client type `T` returns (or yields, for a stream): the reply schema's input. */
export type Out<C extends ContractDefinition, T extends ClientType<C>> = Spec<C['client'], T> extends { reply: infer R } ? InputOf<R> : void;

/** What a client sends as the payload of `T`: the schema's input. */
export type ClientData<C extends ContractDefinition, T extends ClientType<C>> = InputOf<DataOf<Spec<C['client'], T>>>;
/** What a client receives as the answer to `T` (each item, for a stream): the reply schema's output. */
export type ClientReply<C extends ContractDefinition, T extends ClientType<C>> = Spec<C['client'], T> extends { reply: infer R } ? OutputOf<R> : null;
/** What the server sends as the payload of its message `T`. */
export type ServerData<C extends ContractDefinition, T extends ServerType<C>> = InputOf<DataOf<Spec<ServerSide<C>, T>>>;
/** What the client receives as the payload of the server's message `T`. */
export type ServerDataReceived<C extends ContractDefinition, T extends ServerType<C>> = OutputOf<DataOf<Spec<ServerSide<C>, T>>>;
/** What the client's `handle` returns for the server's request `T`. */
export type ServerReplyInput<C extends ContractDefinition, T extends ServerType<C>> = Spec<ServerSide<C>, T> extends { reply: infer R } ? InputOf<R> : void;
/** What `conn.call` resolves to for the server's request `T`. */
export type ServerReply<C extends ContractDefinition, T extends ServerType<C>> = Spec<ServerSide<C>, T> extends { reply: infer R } ? OutputOf<R> : null;

/** Every error code a peer of this contract may see. */
export type ErrorCode<C extends ContractDefinition> = ReservedCode | (C['errors'] extends Readonly<Record<string, Schema>> ? keyof C['errors'] & string : never);

function checkSide(side: string, specs: unknown): void {
  if (specs === undefined && side !== 'client') return;
  if (typeof specs !== 'object' || specs === null) throw new TypeError(`defineContract: \`${side}\` must be an object of message types`);
  for (const [name, spec] of Object.entries(specs)) {
    if (name.startsWith('$')) throw new TypeError(`defineContract: ${side} type "${name}": names starting with "$" are reserved for wsgate`);
    if (name.length === 0) throw new TypeError(`defineContract: ${side} has a type with an empty name`);
    if (typeof spec !== 'object' || spec === null) throw new TypeError(`defineContract: ${side} type "${name}" must be an object ({ data?, reply?, stream? })`);
    const { data, reply, stream } = spec as MessageSpec;
    for (const [what, schema] of [['data', data], ['reply', reply]] as const) {
      if (schema !== undefined && typeof (schema as Partial<Schema>)?.['~standard']?.validate !== 'function') {
        throw new TypeError(`defineContract: ${side} type "${name}": \`${what}\` is not a Standard Schema (zod 4, valibot, arktype, …)`);
      }
    }
    if (stream && !reply) throw new TypeError(`defineContract: ${side} type "${name}": a stream needs a \`reply\` schema for its items`);
    if (stream && side === 'server') throw new TypeError(`defineContract: server type "${name}": only client requests can be streams`);
  }
}

/**
 * Declares the message types of a protocol. The same object types the gateway's handlers, the
 * server's `conn.send`/`conn.call`, and the typed client.
 *
 * @throws TypeError for a type whose name starts with `$`, or a payload that is not a Standard Schema.
 * @example
 * ```ts
 * export const chat = defineContract({
 *   client: { say: { data: z.object({ text: z.string() }), reply: z.object({ id: z.string() }) } },
 *   server: { message: { data: z.object({ text: z.string() }) } },
 * });
 * ```
 */
export function defineContract<const D extends ContractDefinition>(definition: D): Contract<D> {
  if (typeof definition !== 'object' || definition === null) throw new TypeError('defineContract: expected { client, server?, errors? }');
  checkSide('client', definition.client);
  checkSide('server', definition.server);
  for (const [code, schema] of Object.entries(definition.errors ?? {})) {
    if (typeof (schema as Partial<Schema>)?.['~standard']?.validate !== 'function') {
      throw new TypeError(`defineContract: error "${code}": its data schema is not a Standard Schema`);
    }
  }
  return Object.freeze({ ...definition }) as Contract<D>;
}
