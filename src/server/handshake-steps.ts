/**
 * The steps of a gateway's handshake that need the gateway (the list that runs them, in order, is
 * `GatewayServer.steps` in upgrade.ts). Each takes the attempt, answers a refusal or passes on
 * (`undefined`), and records what later steps need on the attempt.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { DependencyContainer } from 'tsyringe';
import { isThenable, kAuth, kHandshake, kPubSub } from '../constants';
import type { ProxyTrust } from '../auth/client-address';
import { isBearerProtocol } from '../auth/credentials';
import { HandshakeView } from '../auth/handshake-view';
import type { ConnectionAuth } from '../auth/connection-auth';
import { guardsOutcome } from '../auth/run-guards';
import { PROTOCOL_NAME } from '../protocol/contract';
import type { Logger } from '../types';
import { Connection } from './connection';
import { describeHook, type GatewayDefinition } from './definition';
import { checkProtocolHeaders, INTERNAL_ERROR, normalizeSubprotocolHeader, reject, type Rejection } from './handshake';
import { snapshotRequest, type HandshakeRequest } from './handshake-request';
import { originAllowed } from './origin-rule';
import type { RouteMatch } from './router';
import { openScope, type ConnectionScope } from './scope';

/** What ws's synchronous handleProtocols and the wsClientError listener need to find on the request. */
export interface HandshakeState {
  readonly subprotocol: string | undefined;
  /** The connection's services, disposed when ws refuses the request after all. */
  readonly container: DependencyContainer | undefined;
}

export type UpgradeRequest = IncomingMessage & { [kHandshake]?: HandshakeState };

/** One upgrade request on its way through the steps. */
export interface Attempt {
  readonly req: UpgradeRequest;
  readonly socket: Duplex;
  readonly head: Buffer;
  readonly match: RouteMatch<GatewayDefinition>;
  /** The offered subprotocols, bearer-token entries included (set by the version-and-key step). */
  offered: readonly string[];
  /** The request snapshot, taken on first use (it becomes `conn.request`). */
  request?: HandshakeRequest;
  /** Whether the origin rule checked the origin (so cookies may be trusted). */
  originChecked: boolean;
  conn?: Connection;
  /** Set from the scope step on: disposed unless the handshake completes. */
  scope?: ConnectionScope;
  instance?: object;
  subprotocol?: string;
  /** handshakeTimeout passed while a step was awaited: the request was answered 503 and released. */
  timedOut?: boolean;
  /** Armed at the first awaited step: answers 503 if the steps have not finished by handshakeTimeout. */
  deadline?: NodeJS.Timeout;
}

/** A refusal, nothing (pass on), or either later. */
export type StepResult = Rejection | undefined | Promise<Rejection | undefined>;

/** What the steps need of the app. */
export interface StepContext {
  readonly container: DependencyContainer;
  readonly logger: Logger;
  /** The app's compiled `trustProxy`: `conn.request.remoteAddress` is then the client's address. */
  readonly trustProxy?: ProxyTrust;
}

const FORBIDDEN = reject(403, 'Cross origin WebSockets are not allowed.');

/** The request snapshot: `conn.request`, and what guards and rate limits read. */
function requestOf(h: Attempt, ctx: StepContext): HandshakeRequest {
  return (h.request ??= snapshotRequest(h.req, ctx.trustProxy));
}

/** The gateway's handshakeRateLimit (429 past the budget), before anything of the gateway is built. */
export function rateLimit(h: Attempt, ctx: StepContext): StepResult {
  return h.match.target.rateLimit?.check(requestOf(h, ctx), h.match.params, ctx.logger);
}

/**
 * The gateway's origin rule (`origins`, or the default same-host rule), before anything of the
 * gateway is built; only an Origin header can fail it.
 */
export function checkOriginRule(h: Attempt): Rejection | undefined {
  const rule = h.match.target.originRule;
  h.originChecked = rule.kind === 'same-host' || rule.kind === 'list';
  const origin = h.req.headers.origin;
  if (origin === undefined) return undefined;
  return originAllowed(rule, origin, h.req.headers.host) ? undefined : FORBIDDEN;
}

/** Version and key (tornado checks them after the origin); then the offered subprotocols are read once. */
export function checkVersionAndKey(h: Attempt): Rejection | undefined {
  const refusal = checkProtocolHeaders(h.req);
  if (!refusal) h.offered = normalizeSubprotocolHeader(h.req);
  return refusal;
}

/** The connection and the scope its guards and gateway instance are built in. */
export function openConnectionScope(h: Attempt, ctx: StepContext): undefined {
  const def = h.match.target;
  const conn = new Connection(requestOf(h, ctx), h.match.params);
  conn[kPubSub] = def.pubsub;
  h.conn = conn;
  h.scope = openScope(def, ctx.container, conn);
  return undefined;
}

/** The gateway's guards, in order (see auth/run-guards); the first principal is the connection's. */
export function checkGuards(h: Attempt, ctx: StepContext): StepResult {
  const auth = h.match.target.auth; // made at createApp for gateways with guards only
  if (!auth) return undefined;
  const view = new HandshakeView(requestOf(h, ctx), h.match.params, h.req.headers.authorization, h.offered, h.originChecked);
  const outcome = guardsOutcome(auth, view, h.scope!);
  // Guards that answer synchronously keep the step synchronous: no promise per handshake.
  const accept = (o: ConnectionAuth | Rejection): Rejection | undefined => {
    if ('status' in o) return o;
    h.conn![kAuth] = o;
    return undefined;
  };
  return isThenable<ConnectionAuth | Rejection>(outcome) ? outcome.then(accept) : accept(outcome);
}

export function buildInstance(h: Attempt, ctx: StepContext): Rejection | undefined {
  try {
    h.instance = h.scope!.gateway();
    return undefined;
  } catch (err) {
    ctx.logger.error(`wsgate: ${h.match.target.name}: could not create the gateway instance:`, err);
    return INTERNAL_ERROR;
  }
}

/** The gateway's @CheckOrigin on its instance, when it declares one; only with an Origin header. */
export function checkOriginHook(h: Attempt, ctx: StepContext): StepResult {
  const origin = h.req.headers.origin;
  const def = h.match.target;
  if (origin === undefined || !def.hooks.checkOrigin) return undefined;
  return callHook<boolean>(def, h.instance!, 'checkOrigin', [origin], ctx.logger).then((allowed) => {
    if (allowed === HOOK_FAILED) return INTERNAL_ERROR;
    return allowed === true ? undefined : FORBIDDEN;
  });
}

/**
 * @Subprotocol's choice among the offered subprotocols (a bearer-token entry is never shown to it
 * nor selected); without one, `wsgate.v1` when offered to a contract gateway, or offered beside a token.
 */
export function selectSubprotocol(h: Attempt, ctx: StepContext): StepResult {
  const withToken = h.offered.some(isBearerProtocol);
  const offered = withToken ? h.offered.filter((p) => !isBearerProtocol(p)) : (h.offered as string[]);
  const def = h.match.target;
  if (!def.hooks.subprotocol) {
    // A contract gateway speaks wsgate.v1 and says so when the client offers it; a browser that sent
    // a token this way offers wsgate.v1 beside it, and fails a 101 that selects nothing.
    if ((def.contract || withToken) && offered.includes(PROTOCOL_NAME)) h.subprotocol = PROTOCOL_NAME;
    return undefined;
  }
  return callHook<string | null | undefined>(def, h.instance!, 'subprotocol', [offered], ctx.logger).then((chosen) => {
    if (chosen === HOOK_FAILED) return INTERNAL_ERROR;
    // '' selects none, as null does (tornado treats any falsy answer so).
    if (chosen === null || chosen === undefined || chosen === '') return undefined;
    if (!offered.includes(chosen)) {
      ctx.logger.error(
        `wsgate: ${describeHook(def, 'subprotocol')} returned ${JSON.stringify(chosen)}, which the client did not offer (${offered.join(', ') || 'none'})`,
      );
      return INTERNAL_ERROR;
    }
    h.subprotocol = chosen;
    return undefined;
  });
}

/** For `rejectWith: 'close'`: a subprotocol the client offered (never a token), since browsers fail a 101 that selects none. */
export function closingSubprotocol(h: Attempt): string | undefined {
  return h.offered.find((p) => p === PROTOCOL_NAME) ?? h.offered.find((p) => !isBearerProtocol(p));
}

const HOOK_FAILED = Symbol('hook failed');

async function callHook<T>(
  def: GatewayDefinition,
  instance: object,
  kind: 'checkOrigin' | 'subprotocol',
  args: unknown[],
  logger: Logger,
): Promise<T | typeof HOOK_FAILED> {
  try {
    const method = (instance as Record<string | symbol, (...a: unknown[]) => unknown>)[def.hooks[kind]!];
    const result = method.apply(instance, args);
    return isThenable<T>(result) ? await result : (result as T);
  } catch (err) {
    logger.error(`wsgate: ${describeHook(def, kind)} failed:`, err);
    return HOOK_FAILED;
  }
}
