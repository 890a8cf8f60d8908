/**
 * Method decorators. Each records which method implements a hook; createApp validates them.
 * Each is typed with the method signature it accepts, so a mistyped handler fails to compile
 * (the error points at the decorator line).
 * @module
 */
import type { ClientType, Contract, ContractDefinition, In, Out } from '../protocol/contract';
import type { MessageContext } from '../protocol/context';
import { updateGatewayMetadata, type HookKind } from './metadata';

/**
 * A method decorator that accepts methods assignable to `F`. Legacy decorators see the method
 * through `TypedPropertyDescriptor`, whose type argument is inferred from the decorated method.
 */
export type HookDecorator<F> = <T extends F>(target: object, propertyKey: string | symbol, descriptor: TypedPropertyDescriptor<T>) => void;

/** What `@OnOpen` accepts: the path parameters as strings (any number of them). */
export type OpenHandler = (...params: string[]) => void | Promise<void>;
/**
 * What `@OnMessage()` accepts. A union rather than `(message: string | Buffer) => unknown`, so a
 * handler that declares only the kind of frame it expects (`(m: string)`, `(m: Buffer)`) compiles,
 * while `(m: number)` does not.
 */
export type MessageHandler = ((message: string) => unknown) | ((message: Buffer) => unknown);
/** What `@OnMessage(contract, type)` accepts: checked against the contract's schemas for `type`. */
export type ContractHandler<C extends ContractDefinition, T extends ClientType<C>> = C['client'][T] extends { stream: true }
  ? (data: In<C, T>, ctx: MessageContext) => AsyncIterable<Out<C, T>>
  : (data: In<C, T>, ctx: MessageContext) => Out<C, T> | Promise<Out<C, T>>;
/** What `@OnClose` accepts. */
export type CloseHandler = () => unknown;
/** What `@CheckOrigin` accepts. */
export type CheckOriginHandler = (origin: string) => boolean | Promise<boolean>;
/** What `@Subprotocol` accepts: the offered subprotocols; `null`/`undefined` selects none. */
export type SubprotocolHandler = (offered: string[]) => string | null | undefined | Promise<string | null | undefined>;
/**
 * What `@OnReauth` accepts: the new principal (typed by the method; wsgate passes what the guard's
 * `refresh` or `conn.reauthenticate` gave).
 */
export type ReauthHandler = (principal: never) => unknown;
/** What `@OnPing` / `@OnPong` accept: the frame's payload. */
export type ControlFrameHandler = (data: Buffer) => unknown;

// Records data only: every check happens once, in createApp.
function hookDecorator<F>(kind: HookKind): HookDecorator<F> {
  return (target, method) => {
    updateGatewayMetadata((target as { constructor: object }).constructor, (m) => {
      const previous = m.hooks[kind];
      if (previous !== undefined && previous !== method) {
        return { ...m, conflicts: [...m.conflicts, { kind, methods: [previous, method] }] };
      }
      return { ...m, hooks: { ...m.hooks, [kind]: method } };
    });
  };
}

/**
 * Called once the handshake has completed, with the path parameters (URL-decoded strings).
 * May be async: messages that arrive meanwhile wait for it. Mirrors tornado's `open(*args)`.
 *
 * @example
 * ```ts
 * @OnOpen() open(room: string) { this.conn.subscribe(`room:${room}`); }
 * ```
 */
export function OnOpen(): HookDecorator<OpenHandler> {
  return hookDecorator<OpenHandler>('open');
}

/**
 * Called for each message (`string` for text, `Buffer` for binary), one at a time and in order:
 * a returned promise holds back the next message. A returned value other than `undefined`
 * is sent back with `writeMessage`. Mirrors tornado's `on_message`. The method may declare the
 * message as `string | Buffer`, as only one of them, or not at all; any other type does not compile.
 *
 * @example
 * ```ts
 * @OnMessage() onMessage(m: string) { return `You said: ${m}`; }
 * ```
 */
export function OnMessage(): HookDecorator<MessageHandler>;
/**
 * Handles the contract message `type` on a contract gateway (`@Gateway(path, { contract })`). The
 * compiler checks the method against the contract: it receives `In<C, T>` (the payload schema's
 * output) and a `MessageContext`, and returns `Out<C, T>` (the reply schema's input), or for a
 * `stream` type is an `async *` generator yielding it. Errors point at this decorator's line.
 *
 * @example
 * ```ts
 * @OnMessage(chat, 'say')
 * async say({ text }: In<typeof chat, 'say'>, ctx: MessageContext): Promise<Out<typeof chat, 'say'>> { … }
 * ```
 */
export function OnMessage<C extends Contract, T extends ClientType<C>>(contract: C, type: T): HookDecorator<ContractHandler<C, T>>;
export function OnMessage(contract?: Contract, type?: string): HookDecorator<MessageHandler> {
  if (contract === undefined) return hookDecorator<MessageHandler>('message');
  return (target, method) => {
    updateGatewayMetadata((target as { constructor: object }).constructor, (m) => ({
      ...m,
      contractHandlers: [...m.contractHandlers, { contract, type: type as string, method }],
    }));
  };
}

/**
 * Called exactly once when the connection has ended, however it ended. Mirrors tornado's `on_close`.
 *
 * @example
 * ```ts
 * @OnClose() onClose() { console.log('closed', this.conn.closeCode); }
 * ```
 */
export function OnClose(): HookDecorator<CloseHandler> {
  return hookDecorator<CloseHandler>('close');
}

/**
 * Decides during the handshake whether a request with an `Origin` header is accepted:
 * `(origin: string) => boolean | Promise<boolean>`; `false` answers 403. Without it, only
 * same-host origins are accepted. Mirrors tornado's `check_origin`.
 *
 * @example
 * ```ts
 * @CheckOrigin() allow(origin: string) { return new URL(origin).hostname.endsWith('.example.com'); }
 * ```
 */
export function CheckOrigin(): HookDecorator<CheckOriginHandler> {
  return hookDecorator<CheckOriginHandler>('checkOrigin');
}

/**
 * Picks a subprotocol from those the client offered (`string[]`, empty when none); returning
 * `null`/`undefined` selects none. Mirrors tornado's `select_subprotocol`.
 *
 * @example
 * ```ts
 * @Subprotocol() pick(offered: string[]) { return offered.includes('v2') ? 'v2' : null; }
 * ```
 */
export function Subprotocol(): HookDecorator<SubprotocolHandler> {
  return hookDecorator<SubprotocolHandler>('subprotocol');
}

/**
 * Called with the payload of each ping frame (pongs are sent automatically). Mirrors tornado's `on_ping`.
 *
 * @example
 * ```ts
 * @OnPing() onPing(data: Buffer) { this.lastPing = Date.now(); }
 * ```
 */
export function OnPing(): HookDecorator<ControlFrameHandler> {
  return hookDecorator<ControlFrameHandler>('ping');
}

/**
 * Called with the payload of each pong frame. Mirrors tornado's `on_pong`.
 *
 * @example
 * ```ts
 * @OnPong() onPong(data: Buffer) { this.alive = true; }
 * ```
 */
export function OnPong(): HookDecorator<ControlFrameHandler> {
  return hookDecorator<ControlFrameHandler>('pong');
}

/**
 * Called after the connection's credentials were refreshed (the `$auth` request of a contract
 * gateway, or `conn.reauthenticate()`), with the new principal; `conn.principal` is already the new
 * one. Use it to drop what the principal may no longer see (e.g. topics). May be async. An error
 * closes the connection with 1011, as a handler error does.
 *
 * @example
 * ```ts
 * @OnReauth() reauth(user: User) { if (!user.rooms.includes(this.room)) return this.conn.unsubscribe(`room:${this.room}`); }
 * ```
 */
export function OnReauth(): HookDecorator<ReauthHandler> {
  return hookDecorator<ReauthHandler>('reauth');
}
