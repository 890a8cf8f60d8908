/**
 * The chat sample's authentication: a small signed token made with `node:crypto` only, the service
 * that issues and checks it, and the handshake guard of the chat gateway.
 *
 * A token is `base64url(JSON {sub, name, exp})` + "." + `base64url(HMAC-SHA256(secret, <that first
 * part>))`, with `exp` in ms since the epoch (a JWT's `exp` is in seconds; this is not a JWT). It is
 * checked by recomputing the signature and comparing it with `timingSafeEqual`, then by its expiry.
 * The secret comes from the app's options, else `CHAT_SECRET`, else random bytes drawn once per
 * process: then a token is only good on the process that issued it, so give every process of a
 * deployment the same `CHAT_SECRET`.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { injectable } from 'tsyringe';
import { HandshakeRejection, type Guard, type GuardResult, type Handshake } from '../src';

/** Who a chat member is: the principal of the chat gateway's connections. */
export interface ChatUser {
  /** Stable identity (the token's `sub`): a refresh that changes it is refused. */
  readonly id: string;
  /** The name other members see. */
  readonly name: string;
}

/** A valid token's content. */
export interface ChatClaims {
  readonly sub: string;
  readonly name: string;
  /** Expiry, ms since the epoch. */
  readonly exp: number;
}

export interface ChatTokensOptions {
  /** HMAC key; default `CHAT_SECRET`, else random bytes drawn once per process. */
  secret?: string | Buffer;
  /** Lifetime of an issued token in seconds; default `CHAT_TOKEN_TTL`, else 300 (5 minutes). */
  ttlSeconds?: number;
  /** The clock (ms since the epoch); tests pass another one. */
  now?: () => number;
}

/** Names are 1 to 32 characters (UTF-16 units, as the contract's `nick` counts them), trimmed. */
export const MAX_NAME_LENGTH = 32;

/** The default TTL: 5 minutes. */
export const DEFAULT_TOKEN_TTL_SECONDS = 300;

let processSecret: Buffer | undefined;

/** The secret of a process without `CHAT_SECRET`: drawn on first use, the same for every app. */
function randomProcessSecret(): Buffer {
  processSecret ??= randomBytes(32);
  return processSecret;
}

/** `CHAT_TOKEN_TTL` in seconds, or undefined when unset; anything but a positive number is an error. */
function ttlFromEnv(): number | undefined {
  const raw = process.env.CHAT_TOKEN_TTL;
  if (raw === undefined || raw === '') return undefined;
  const ttl = Number(raw);
  if (!(ttl > 0) || !Number.isFinite(ttl)) throw new RangeError(`CHAT_TOKEN_TTL must be a positive number of seconds, got ${JSON.stringify(raw)}`);
  return ttl;
}

/** A name as tokens carry it (trimmed), or undefined when it is empty or longer than 32. */
export function validName(name: unknown): string | undefined {
  if (typeof name !== 'string') return undefined;
  const trimmed = name.trim();
  return trimmed.length >= 1 && trimmed.length <= MAX_NAME_LENGTH ? trimmed : undefined;
}

/**
 * Issues and verifies chat tokens. One per app: `createChatApp` registers an instance in the app's
 * container, where the guard finds it.
 */
export class ChatTokens {
  private readonly secret: Buffer;
  /** Lifetime of an issued token, ms. */
  readonly ttlMs: number;
  private readonly now: () => number;

  constructor(options: ChatTokensOptions = {}) {
    const secret = options.secret ?? process.env.CHAT_SECRET;
    this.secret = secret === undefined || secret === '' ? randomProcessSecret() : Buffer.from(secret);
    const ttl = options.ttlSeconds ?? ttlFromEnv() ?? DEFAULT_TOKEN_TTL_SECONDS;
    if (!(ttl > 0) || !Number.isFinite(ttl)) throw new RangeError(`ChatTokens: ttlSeconds must be a positive number, got ${String(ttl)}`);
    this.ttlMs = ttl * 1000;
    this.now = options.now ?? Date.now;
  }

  /**
   * A token for `name`, valid for the TTL. `sub` (the identity) defaults to the name itself: in this
   * demo the name is the account. Throws RangeError for a name that is empty or longer than 32.
   */
  issue(name: string, sub?: string): string {
    const valid = validName(name);
    if (valid === undefined) throw new RangeError(`ChatTokens: a name is 1 to ${MAX_NAME_LENGTH} characters`);
    const claims: ChatClaims = { sub: sub ?? valid, name: valid, exp: this.now() + this.ttlMs };
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${payload}.${this.sign(payload)}`;
  }

  /** The claims of a well-formed, correctly signed, unexpired token; undefined otherwise. Never throws. */
  verify(token: string): ChatClaims | undefined {
    const dot = token.indexOf('.');
    if (dot <= 0 || dot !== token.lastIndexOf('.')) return undefined;
    const payload = token.slice(0, dot);
    // The signature is compared as its base64url text: base64url decoding ignores stray
    // characters, so comparing decoded bytes would accept other spellings of one signature.
    const given = Buffer.from(token.slice(dot + 1));
    const expected = Buffer.from(this.sign(payload));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    let claims: unknown;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return undefined; // signed by us, so not expected; still never a 500
    }
    if (typeof claims !== 'object' || claims === null) return undefined;
    const { sub, name, exp } = claims as Record<string, unknown>;
    if (typeof sub !== 'string' || sub === '' || validName(name) !== name || typeof exp !== 'number' || !Number.isFinite(exp)) return undefined;
    if (exp <= this.now()) return undefined;
    return { sub, name: name as string, exp };
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url');
  }
}

/** The principal and expiry of a verified token, as a guard answers them. */
function resultOf(claims: ChatClaims): GuardResult<ChatUser> {
  return { principal: { id: claims.sub, name: claims.name }, expiresAt: claims.exp };
}

/**
 * The chat gateway's guard: a valid bearer token (header in Node, subprotocol in browsers) passes
 * with its user as the principal and its `exp` as the connection's expiry; none, or an invalid or
 * expired one, is refused with 401 (`WWW-Authenticate: Bearer`), which the gateway's
 * `rejectWith: 'close'` sends as a 4401 close a browser can read.
 */
@injectable()
export class ChatAuth implements Guard<ChatUser> {
  constructor(private readonly tokens: ChatTokens) {}

  authenticate(h: Handshake<ChatUser>): GuardResult<ChatUser> {
    if (h.bearerToken === undefined) throw new HandshakeRejection(401, 'token required', { 'WWW-Authenticate': 'Bearer' });
    const claims = this.tokens.verify(h.bearerToken);
    if (!claims) throw new HandshakeRejection(401, 'invalid or expired token', { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    return resultOf(claims);
  }

  /** A fresh token over the open connection: the same checks; `false` (→ 4401) when it fails them. */
  refresh(token: string): GuardResult<ChatUser> {
    const claims = this.tokens.verify(token);
    return claims ? resultOf(claims) : false;
  }
}
