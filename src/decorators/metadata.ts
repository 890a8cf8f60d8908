/**
 * The one metadata record each gateway class carries, written by the decorators and read
 * once by `createApp`.
 * @module
 */
import { kGatewayMetadata } from '../constants';
import type { Contract, ContractGatewayOptions } from '../protocol/contract';
import type { GatewayOptions } from '../types';

/** The hooks a gateway can implement, named after what calls them. */
export type HookKind = 'open' | 'message' | 'close' | 'checkOrigin' | 'subprotocol' | 'ping' | 'pong' | 'reauth';

export interface GatewayMetadata {
  /** Set by `@Gateway`; undefined on classes that only carry handler decorators (e.g. base classes). */
  readonly path?: string | RegExp;
  readonly options: GatewayOptions & ContractGatewayOptions;
  /** Method name per hook. */
  readonly hooks: Readonly<Partial<Record<HookKind, string | symbol>>>;
  /** `@OnMessage(contract, type)` handlers, in declaration order (createApp checks them against the contract). */
  readonly contractHandlers: ReadonlyArray<{ contract: Contract; type: string; method: string | symbol }>;
  /** Hooks decorated on more than one method of this class, kept so createApp can name them. */
  readonly conflicts: ReadonlyArray<{ kind: HookKind; methods: Array<string | symbol> }>;
}

const EMPTY: GatewayMetadata = { options: {}, hooks: {}, contractHandlers: [], conflicts: [] };

/** The record written on `cls` itself (not inherited). */
export function getOwnGatewayMetadata(cls: object): GatewayMetadata | undefined {
  return Reflect.getOwnMetadata(kGatewayMetadata, cls) as GatewayMetadata | undefined;
}

/** Copy-on-write update of the record on `cls` itself. */
export function updateGatewayMetadata(cls: object, update: (m: GatewayMetadata) => GatewayMetadata): void {
  Reflect.defineMetadata(kGatewayMetadata, update(getOwnGatewayMetadata(cls) ?? EMPTY), cls);
}

/**
 * Hooks of `cls` merged with those its base classes declare; a subclass's own hook wins.
 */
export function collectHooks(cls: object): GatewayMetadata['hooks'] {
  const base = Object.getPrototypeOf(cls) as object | null;
  const inherited = base && base !== Function.prototype ? collectHooks(base) : {};
  return { ...inherited, ...(getOwnGatewayMetadata(cls)?.hooks ?? {}) };
}

/** `@OnMessage(contract, type)` handlers of `cls` and its base classes; a subclass's own handler of a type wins. */
export function collectContractHandlers(cls: object): GatewayMetadata['contractHandlers'] {
  const base = Object.getPrototypeOf(cls) as object | null;
  const inherited = base && base !== Function.prototype ? collectContractHandlers(base) : [];
  const own = getOwnGatewayMetadata(cls)?.contractHandlers ?? [];
  const ownTypes = new Set(own.map((h) => h.type));
  return [...inherited.filter((h) => !ownTypes.has(h.type)), ...own];
}
