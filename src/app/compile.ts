/**
 * Turns the gateway classes given to createApp into plain definitions, in one step per gateway:
 * metadata, hooks, settings (app options overridden by the gateway's), compression and the ws
 * server that carries them. Configuration mistakes throw `GatewayDefinitionError` naming the class.
 * @module
 */
import type { Duplex } from 'node:stream';
import { WebSocketServer, type ServerOptions } from 'ws';
import { DEFAULTS, kHandshake } from '../constants';
import { collectContractHandlers, collectHooks, getOwnGatewayMetadata } from '../decorators/metadata';
import { GatewayDefinitionError } from '../errors';
import { checkGatewayClass, checkNotShadowed } from './definition-checks';
import { compileOriginRule } from '../server/origin-rule';
import { AppRateLimitBudget, checkRateLimitOptions, compileRateLimit } from '../auth/rate-limit';
import { compileContract } from './compile-contract';
import type { AppOptions, GatewayOptions, Logger } from '../types';
import { toPerMessageDeflate } from '../connection/compression';
import { HOOK_DECORATORS, type GatewayClass, type GatewayDefinition, type GatewayHooks } from '../server/definition';
import { samePath } from '../server/router';
import type { UpgradeRequest } from '../server/handshake-steps';
import type { Hub } from '../topics/hub';
import type { ExpiryWheel } from '../auth/expiry-wheel';
import { authSettings } from '../server/auth-wiring';
import type { PubSubLink } from '../topics/registry';

/** ws refused a request the handshake let through (e.g. a malformed Sec-WebSocket-Extensions). */
export type ClientErrorListener = (err: Error, socket: Duplex, req: UpgradeRequest) => void;

export function checkPositive(owner: string, name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
    throw new GatewayDefinitionError(`${owner}: ${name} must be a positive number, got ${String(value)}`);
  }
}

/** `origins`: '*', or origins as browsers send them (scheme://host[:port], default port left out, no path) and RegExps. */
function checkOrigins(owner: string, origins: unknown): void {
  if (origins === '*') return;
  if (!Array.isArray(origins)) throw new GatewayDefinitionError(`${owner}: origins must be '*' or a list of origins and RegExps`);
  for (const o of origins as unknown[]) {
    if (o instanceof RegExp) continue;
    let origin: string | undefined;
    try {
      origin = typeof o === 'string' ? new URL(o).origin : undefined;
    } catch {
      origin = undefined;
    }
    if (origin === undefined || origin === 'null' || origin.toLowerCase() !== (o as string).toLowerCase()) {
      throw new GatewayDefinitionError(
        `${owner}: origins: ${JSON.stringify(o)} is not an origin as browsers send it (scheme://host[:port], no path, no default port)` +
          (origin && origin !== 'null' ? `; did you mean ${JSON.stringify(origin)}?` : ''),
      );
    }
  }
}

/** `guards`: a list of classes whose prototype has `authenticate()`. */
function checkGuards(owner: string, guards: unknown): void {
  if (!Array.isArray(guards)) throw new GatewayDefinitionError(`${owner}: guards must be a list of guard classes`);
  for (const g of guards as unknown[]) {
    if (typeof g !== 'function') throw new GatewayDefinitionError(`${owner}: guards: ${String(g)} is not a class`);
    const proto = (g as { prototype?: Record<string, unknown> }).prototype;
    if (typeof proto?.authenticate !== 'function') {
      throw new GatewayDefinitionError(`${owner}: guards: ${g.name || '(anonymous class)'} has no authenticate(handshake) method`);
    }
  }
}

export function checkGatewayOptions(owner: string, o: GatewayOptions): void {
  checkPositive(owner, 'maxMessageSize', o.maxMessageSize);
  checkPositive(owner, 'pingInterval', o.pingInterval);
  checkPositive(owner, 'pingTimeout', o.pingTimeout);
  checkPositive(owner, 'maxBackpressure', o.maxBackpressure);
  if (o.origins !== undefined) checkOrigins(owner, o.origins);
  checkRateLimitOptions(owner, o.handshakeRateLimit);
  if (o.guards !== undefined) checkGuards(owner, o.guards);
  if (o.rejectWith !== undefined && o.rejectWith !== 'http' && o.rejectWith !== 'close') {
    throw new GatewayDefinitionError(`${owner}: rejectWith must be 'http' or 'close', got ${String(o.rejectWith)}`);
  }
  checkPositive(owner, 'refreshLead', o.refreshLead);
  if (o.backpressurePolicy !== undefined && o.backpressurePolicy !== 'close' && o.backpressurePolicy !== 'drop') {
    throw new GatewayDefinitionError(`${owner}: backpressurePolicy must be 'close' or 'drop', got ${String(o.backpressurePolicy)}`);
  }
}

function compileHooks(cls: GatewayClass, name: string, contract: boolean): GatewayHooks {
  for (let c: object | null = cls; c && c !== Function.prototype; c = Object.getPrototypeOf(c) as object | null) {
    const conflict = getOwnGatewayMetadata(c)?.conflicts[0];
    if (conflict) {
      const methods = conflict.methods.map(String).join(' and ');
      throw new GatewayDefinitionError(`${name}: ${HOOK_DECORATORS[conflict.kind]} is on two methods (${methods}); keep one`);
    }
  }
  const hooks = collectHooks(cls);
  if (hooks.message === undefined && !contract) throw new GatewayDefinitionError(`${name}: no @OnMessage method`);
  for (const [kind, method] of Object.entries(hooks)) {
    if (typeof (cls.prototype as Record<string | symbol, unknown>)[method] !== 'function') {
      throw new GatewayDefinitionError(`${name}: ${HOOK_DECORATORS[kind as keyof typeof HOOK_DECORATORS]} is on ${String(method)}, which is not a method`);
    }
  }
  return hooks as GatewayHooks;
}

/** What every gateway of one app is compiled with. */
export interface AppParts {
  readonly hub: Hub;
  /** ws refused a request the handshake let through. */
  readonly onClientError: ClientErrorListener;
  /** The app's one timer for credential deadlines. */
  readonly wheel: ExpiryWheel;
  readonly logger: Logger;
}

/** One gateway class → its definition, ws server included (`budget`: the app's scope-'app' rate limit). */
function compileGateway(cls: GatewayClass, app: AppOptions, parts: AppParts, budget: AppRateLimitBudget): GatewayDefinition {
  const { hub, onClientError } = parts;
  if (typeof cls !== 'function') throw new GatewayDefinitionError(`createApp: gateways must be classes, got ${typeof cls}`);
  const name = cls.name || '(anonymous class)';
  const meta = getOwnGatewayMetadata(cls);
  if (meta?.path === undefined) throw new GatewayDefinitionError(`${name}: not decorated with @Gateway(path)`);
  checkGatewayClass(name, cls, meta.path);
  checkGatewayOptions(name, meta.options);
  // With contract handlers the plain @OnMessage is optional (compileContract says what is missing).
  const hooks = compileHooks(cls, name, meta.options.contract !== undefined || collectContractHandlers(cls).length > 0);
  const contract = compileContract(name, cls, meta.options, hooks.message);
  const o = { ...app, ...meta.options };
  const settings = {
    // Contract gateways default to 1 MiB; the app's option still applies when lower, the gateway's always.
    maxMessageSize: contract
      ? (meta.options.maxMessageSize ?? Math.min(app.maxMessageSize ?? Infinity, DEFAULTS.contractMaxMessageSize))
      : (o.maxMessageSize ?? DEFAULTS.maxMessageSize),
    pingInterval: o.pingInterval,
    pingTimeout: o.pingInterval ? (o.pingTimeout ?? o.pingInterval) : undefined,
    maxQueuedMessages: app.maxQueuedMessages ?? DEFAULTS.maxQueuedMessages,
    closeTimeout: app.closeTimeout ?? DEFAULTS.closeTimeout,
  };
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    maxPayload: settings.maxMessageSize,
    // `compression: false` on the gateway turns off what the app enables.
    perMessageDeflate: toPerMessageDeflate(meta.options.compression ?? app.compression),
    // ws ≥ 8.23 cuts off a peer that does not answer our close frame after closeTimeout ms.
    closeTimeout: settings.closeTimeout,
    // ws would pick the first offered protocol; tornado (and wsgate) pick what @Subprotocol chose, or none.
    handleProtocols: (_offered, req: UpgradeRequest) => req[kHandshake]?.subprotocol ?? false,
  } as ServerOptions & { closeTimeout: number });
  wss.on('wsClientError', onClientError);
  const pubsub: PubSubLink = {
    host: hub,
    limits: {
      maxBackpressure: o.maxBackpressure ?? DEFAULTS.maxBackpressure,
      backpressurePolicy: o.backpressurePolicy ?? 'close',
    },
  };
  const originRule = compileOriginRule(o.origins, hooks.checkOrigin !== undefined);
  const guards = o.guards ?? [];
  if (hooks.reauth !== undefined && guards.length === 0) {
    throw new GatewayDefinitionError(`${name}: @OnReauth is on ${String(hooks.reauth)}, but the gateway has no guards (nothing to refresh)`);
  }
  const def: GatewayDefinition = {
    name, cls, path: meta.path, hooks, originRule, contract, settings, wss, pubsub,
    guards,
    rejectWith: o.rejectWith ?? 'http',
    refreshLead: o.refreshLead ?? DEFAULTS.refreshLead,
    rateLimit: compileRateLimit({ name, path: meta.path }, o.handshakeRateLimit, budget),
  };
  // What its authenticated connections share, made once here rather than per connection.
  return guards.length > 0 ? { ...def, auth: authSettings(def, parts.wheel, parts.logger) } : def;
}

/** Every gateway of the app; two on one path, or one class listed twice, is an error. */
export function compileGateways(app: AppOptions, parts: AppParts): GatewayDefinition[] {
  const compiled: GatewayDefinition[] = [];
  const budget = new AppRateLimitBudget();
  for (const cls of app.gateways as readonly GatewayClass[]) {
    const meta = typeof cls === 'function' ? getOwnGatewayMetadata(cls) : undefined;
    const clash = compiled.find((d) => d.cls === cls || (meta?.path !== undefined && samePath(d.path, meta.path)));
    if (clash) {
      const name = cls.name || '(anonymous class)';
      throw new GatewayDefinitionError(
        clash.cls === cls ? `${name}: listed twice in gateways` : `${name}: path ${String(meta?.path)} is already served by ${clash.name}`,
      );
    }
    const def = compileGateway(cls, app, parts, budget);
    checkNotShadowed(def, compiled);
    compiled.push(def);
  }
  return compiled;
}
