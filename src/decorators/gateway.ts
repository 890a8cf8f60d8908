import { injectable } from 'tsyringe';
import type { ContractGatewayOptions } from '../protocol/contract';
import type { GatewayOptions } from '../types';
import { updateGatewayMetadata } from './metadata';

/**
 * Registers a class as the WebSocket handler for `path` and makes it injectable.
 * `path` is a string with `:name` segments (`/chat/:room`) or a RegExp whose capture groups
 * become the arguments of `@OnOpen`. `options` override the app's settings for this gateway.
 * Mirrors tornado's `WebSocketHandler` plus its URL spec.
 *
 * @example
 * ```ts
 * @Gateway('/chat/:room', { maxMessageSize: 64 * 1024 })
 * class ChatGateway { constructor(private readonly conn: Connection) {} … }
 * ```
 */
export function Gateway(path: string | RegExp, options: GatewayOptions & ContractGatewayOptions = {}): ClassDecorator {
  return (target) => {
    injectable()(target as unknown as new (...args: never[]) => unknown);
    updateGatewayMetadata(target, (m) => ({ ...m, path, options: { ...options } }));
  };
}
