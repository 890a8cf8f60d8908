/**
 * A contract gateway's part of the compile step: its `@OnMessage(contract, type)` methods checked
 * against the contract once, at createApp, into the table the session reads per message.
 * @module
 */
import { collectContractHandlers } from '../decorators/metadata';
import { GatewayDefinitionError } from '../errors';
import type { ContractGatewayOptions } from '../protocol/contract';
import type { CompiledContract, CompiledMessageType } from '../server/contract/compiled';

function isContract(value: unknown): value is NonNullable<ContractGatewayOptions['contract']> {
  return typeof value === 'object' && value !== null && typeof (value as { client?: unknown }).client === 'object' && Object.isFrozen(value);
}

const ASYNC_GENERATOR = Object.getPrototypeOf(async function* () {}).constructor as unknown;

/**
 * Returns the compiled contract of `cls`, or undefined for a raw gateway.
 * @param messageMethod the plain `@OnMessage()` method, which a contract gateway uses for binary frames.
 */
export function compileContract(name: string, cls: object, options: ContractGatewayOptions, messageMethod: string | symbol | undefined): CompiledContract | undefined {
  const handlers = collectContractHandlers(cls);
  const { contract } = options;
  if (contract === undefined) {
    if (handlers.length > 0) {
      throw new GatewayDefinitionError(`${name}: @OnMessage(contract, '${handlers[0].type}') needs the contract in @Gateway(path, { contract })`);
    }
    for (const key of ['concurrency', 'onInvalidMessage', 'validateOutgoing'] as const) {
      if (options[key] !== undefined) throw new GatewayDefinitionError(`${name}: ${key} applies to contract gateways only (give @Gateway a contract)`);
    }
    return undefined;
  }
  if (!isContract(contract)) throw new GatewayDefinitionError(`${name}: the contract option must come from defineContract()`);
  const { concurrency = 1, onInvalidMessage = 'reply', validateOutgoing = false } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new GatewayDefinitionError(`${name}: concurrency must be an integer ≥ 1, got ${String(concurrency)}`);
  if (onInvalidMessage !== 'reply' && onInvalidMessage !== 'close') {
    throw new GatewayDefinitionError(`${name}: onInvalidMessage must be 'reply' or 'close', got ${String(onInvalidMessage)}`);
  }
  const prototype = (cls as { prototype: Record<string | symbol, unknown> }).prototype;
  const types = new Map<string, CompiledMessageType>();
  for (const { contract: used, type, method } of handlers) {
    if (used !== contract) throw new GatewayDefinitionError(`${name}.${String(method)}: @OnMessage names a different contract than the gateway's`);
    const spec = contract.client[type];
    if (!spec || !Object.prototype.hasOwnProperty.call(contract.client, type)) {
      throw new GatewayDefinitionError(`${name}.${String(method)}: the contract has no client message "${type}"`);
    }
    const previous = types.get(type);
    if (previous) throw new GatewayDefinitionError(`${name}: "${type}" is handled twice (${String(previous.method)} and ${String(method)}); keep one`);
    const fn = prototype[method];
    if (typeof fn !== 'function') throw new GatewayDefinitionError(`${name}: @OnMessage(contract, '${type}') is on ${String(method)}, which is not a method`);
    if (spec.stream && (fn as { constructor: unknown }).constructor !== ASYNC_GENERATOR) {
      throw new GatewayDefinitionError(`${name}.${String(method)}: "${type}" is a stream: the handler must be an async generator (async *${String(method)})`);
    }
    types.set(type, {
      name: type,
      method,
      data: spec.data,
      reply: spec.reply,
      stream: spec.stream === true,
      label: `${name}.${String(method)} (@OnMessage '${type}')`,
    });
  }
  const missing = Object.keys(contract.client).filter((type) => !types.has(type));
  if (missing.length > 0) {
    throw new GatewayDefinitionError(`${name}: no @OnMessage(contract, type) handler for ${missing.map((t) => `"${t}"`).join(', ')}`);
  }
  return { contract, types, concurrency, onInvalidMessage, validateOutgoing, binaryMethod: messageMethod, gatewayName: name };
}
