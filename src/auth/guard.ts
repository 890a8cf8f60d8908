/**
 * The public types of authentication before the socket opens: a guard, what it answers, the
 * handshake it reads, and the `Principal` injection token.
 * @module
 */
import type { HandshakeRequest } from '../server/handshake-request';

/**
 * What a guard sees of an upgrade request: the request snapshot (`conn.request` later), the
 * path parameters, credentials in the forms wsgate reads, and the principal an earlier guard set.
 */
export interface Handshake<P = unknown> extends HandshakeRequest {
  /** Path parameters by name (and by index for RegExp paths), as `conn.params` will be. */
  readonly params: Readonly<Record<string, string>>;
  /**
   * The bearer token: from `Authorization: Bearer <token>`, or from a `wsgate.bearer.<base64url>`
   * subprotocol entry (how browsers, which cannot set headers, send it). `undefined` when neither
   * is present or well-formed. wsgate never reads a token from the query string.
   */
  readonly bearerToken: string | undefined;
  /**
   * The request's cookies by name, **only when the request's origin was checked before the guards**
   * (by `origins` other than `'*'`, or by the default same-host rule): browsers send cookies on
   * cross-site WebSocket handshakes and WebSockets have no CORS, so a cookie session is only safe
   * behind an origin check. `undefined` otherwise (`origins: '*'`, or a gateway with `@CheckOrigin`,
   * which runs after the guards).
   */
  readonly cookies: Readonly<Record<string, string>> | undefined;
  /** The principal set by an earlier guard of this handshake, `undefined` before one does. */
  readonly principal: P | undefined;
}

/**
 * What a guard answers: `true` passes without a principal; `false` refuses with 403; an object
 * passes and sets the principal (the first guard to return one sets it), with an optional
 * `expiresAt` (ms since the epoch, finite) at which the connection is closed with 4401 unless the
 * credentials are refreshed. Throw `HandshakeRejection` to answer another status.
 */
export type GuardResult<P = unknown> = boolean | { readonly principal: P; readonly expiresAt?: number };

/**
 * A handshake guard, listed in `@Gateway(path, { guards: [...] })` and resolved for each
 * handshake from the connection's container (so it may inject services). Guards run in the order
 * listed, after the origin rule and before the gateway instance is built.
 *
 * @example
 * ```ts
 * @injectable()
 * class BearerAuth implements Guard<User> {
 *   constructor(private readonly tokens: TokenService) {}
 *   async authenticate(h: Handshake): Promise<GuardResult<User>> {
 *     if (!h.bearerToken) throw new HandshakeRejection(401, 'token required', { 'WWW-Authenticate': 'Bearer' });
 *     const user = await this.tokens.verify(h.bearerToken);
 *     return { principal: user, expiresAt: user.exp * 1000 };
 *   }
 * }
 * ```
 */
export interface Guard<P = unknown> {
  /** Decides whether the handshake may go on. */
  authenticate(h: Handshake<P>): GuardResult<P> | Promise<GuardResult<P>>;
  /**
   * Re-authenticates an open connection with a new token (the `$auth` request of a contract
   * gateway): returns the new principal and expiry, or throws/returns `false` to refuse (the
   * connection is then closed with 4401). Only the guard that set the principal is asked.
   */
  refresh?(token: string, current: P): GuardResult<P> | Promise<GuardResult<P>>;
  /**
   * Whether a refreshed principal is the same identity as the current one; a refresh that changes
   * identity is refused. Default: `a.id === b.id` when both have an `id`, else `true`.
   */
  sameIdentity?(current: P, next: P): boolean;
}

/** A guard class, as listed in `guards`. */
export type GuardClass<P = unknown> = new (...args: never[]) => Guard<P>;

/**
 * Injection token of the handshake's principal in the connection's container (`undefined` when no
 * guard set one). `conn.principal` is always the current one, refreshes included.
 *
 * @example
 * ```ts
 * @scoped(Lifecycle.ContainerScoped)
 * class Inbox { constructor(@inject(Principal) readonly user: User) {} }
 * ```
 */
export const Principal: unique symbol = Symbol.for('wsgate.principal');
