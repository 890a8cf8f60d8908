/**
 * The `handshake-guard` benchmark's server: a wsgate text echo whose handshake is guarded by one
 * HMAC bearer-token guard (`hmac`), by a guard that passes without checking anything (`pass`: what
 * wsgate's guard step costs by itself), or the same gateway without guards (`none`, the baseline).
 * The client sends `Authorization: Bearer <token>` to all, so the only difference is the guard.
 * `all` serves the three in one process, at /echo, /pass and /hmac (the in-process comparison);
 * `split` adds a diagnostic guard at /parse (the HMAC guard's parsing without the HMAC).
 * Usage: node servers/wsgate-guard.js none|pass|hmac|all|split
 */
import 'reflect-metadata';
import { ECHO_PATH, HOST, serve } from '../common/harness';
import { parseTokenUnchecked, verifyToken, type Claims } from '../common/hmac';
import {
  Connection,
  createApp,
  Gateway,
  HandshakeRejection,
  injectable,
  OnMessage,
  type Guard,
  type GuardResult,
  type Handshake,
} from '../common/wsgate';

const variant = process.argv[2];
if (variant !== 'none' && variant !== 'pass' && variant !== 'hmac' && variant !== 'all' && variant !== 'split') {
  console.error('usage: wsgate-guard.js none|pass|hmac|all|split');
  process.exit(2);
}

type Check = (token: string, nowMs: number) => Claims | undefined;

/** A guard whose token check is `check`; the token's claims become the principal. */
function tokenGuard(check: Check): new () => Guard<Claims> {
  @injectable()
  class TokenGuard implements Guard<Claims> {
    authenticate(h: Handshake<Claims>): GuardResult<Claims> {
      const claims = h.bearerToken === undefined ? undefined : check(h.bearerToken, Date.now());
      if (!claims) throw new HandshakeRejection(401, 'invalid token', { 'WWW-Authenticate': 'Bearer' });
      return { principal: claims };
    }
  }
  return TokenGuard;
}

/** Verifies the HMAC of the bearer token (createHmac, timingSafeEqual): the guard of the budget. */
const HmacGuard = tokenGuard(verifyToken);

const FIXED: Claims = { sub: 'user-1', exp: Math.floor(Date.now() / 1000) + 3600 };

/** Passes every handshake with a fixed principal, reading nothing: wsgate's guard step alone. */
@injectable()
class PassGuard implements Guard<Claims> {
  authenticate(): GuardResult<Claims> {
    return { principal: FIXED };
  }
}

/** The same text echo at `path`, with `guards`. */
function echoGateway(path: string, guards: Array<new () => Guard<Claims>>): new (...args: never[]) => object {
  @Gateway(path, guards.length ? { guards } : {})
  class EchoGateway {
    constructor(readonly conn: Connection<never, Claims>) {}

    @OnMessage()
    onMessage(message: string): string {
      return message;
    }
  }
  return EchoGateway;
}

// `all` (the in-process comparison): the three side by side, at /echo, /pass and /hmac. `split` adds
// /parse, the HMAC guard without its HMAC (see common/hmac.ts), to split the guard's cost.
const inProcess = [echoGateway(ECHO_PATH, []), echoGateway('/pass', [PassGuard]), echoGateway('/hmac', [HmacGuard])];
const gateways =
  variant === 'all' ? inProcess
  : variant === 'split' ? [...inProcess, echoGateway('/parse', [tokenGuard(parseTokenUnchecked)])]
  : [echoGateway(ECHO_PATH, variant === 'hmac' ? [HmacGuard] : variant === 'pass' ? [PassGuard] : [])];

void serve(`wsgate-guard ${variant}`, async () => {
  const app = createApp({ gateways });
  const address = await app.listen(0, HOST);
  return { port: address.port, close: () => app.close() };
});
