/**
 * A gateway class compiled once, at createApp, into the plain object the runtime uses per
 * connection: no reflection after this.
 * @module
 */
import type { WebSocketServer } from 'ws';
import type { HandshakeLimiter } from '../auth/rate-limit';
import type { HookKind } from '../decorators/metadata';
import type { CompiledContract } from './contract/compiled';
import type { AuthSettings } from '../auth/connection-auth';
import type { GuardClass } from '../auth/guard';
import type { OriginRule } from './origin-rule';
import type { GatewayOptions } from '../types';
import type { PubSubLink } from '../topics/registry';

export type GatewayClass = new (...args: never[]) => object;

/** Method names per hook; `message` is mandatory on raw gateways (a contract gateway may use it for binary frames). */
export type GatewayHooks = Readonly<Partial<Record<HookKind, string | symbol>>>;

export interface GatewaySettings extends Required<Pick<GatewayOptions, 'maxMessageSize'>> {
  readonly pingInterval?: number;
  readonly pingTimeout?: number;
  readonly maxQueuedMessages: number;
  readonly closeTimeout: number;
}

export interface GatewayDefinition {
  readonly name: string;
  readonly cls: GatewayClass;
  readonly path: string | RegExp;
  readonly hooks: GatewayHooks;
  readonly settings: GatewaySettings;
  /** What the Origin header must be (before @CheckOrigin, when the gateway has one). */
  readonly originRule: OriginRule;
  /** The guards, in order (empty: none). */
  readonly guards: readonly GuardClass[];
  /** What its guarded connections share, from the handshake on (gateways with guards only). */
  readonly auth?: AuthSettings;
  /** How guard and rate-limit refusals are answered. */
  readonly rejectWith: 'http' | 'close';
  /** Contract gateways: ms before expiry at which `$auth.expiring` is sent (at most half the time left). */
  readonly refreshLead: number;
  /** The compiled contract, on contract gateways. */
  readonly contract?: CompiledContract;
  /** A noServer ws server configured with this gateway's limits and compression. */
  readonly wss: WebSocketServer;
  /** Put on each of its connections: the app's hub and this gateway's slow-subscriber limits. */
  readonly pubsub: PubSubLink;
  /** `handshakeRateLimit`, compiled; asked right after routing. */
  readonly rateLimit?: HandshakeLimiter;
}

const HOOK_DECORATORS: Record<HookKind, string> = {
  open: '@OnOpen',
  message: '@OnMessage',
  close: '@OnClose',
  checkOrigin: '@CheckOrigin',
  subprotocol: '@Subprotocol',
  ping: '@OnPing',
  pong: '@OnPong',
  reauth: '@OnReauth',
};

/** "EchoGateway.onMessage (@OnMessage)", for log lines and errors. */
export function describeHook(def: Pick<GatewayDefinition, 'name' | 'hooks'>, kind: HookKind): string {
  const method = def.hooks[kind];
  // A contract gateway's messages go to its session, which has no method of the gateway's.
  if (method === undefined) return `${def.name} (${kind === 'message' ? 'contract session' : HOOK_DECORATORS[kind]})`;
  return `${def.name}.${String(method)} (${HOOK_DECORATORS[kind]})`;
}

export { HOOK_DECORATORS };
