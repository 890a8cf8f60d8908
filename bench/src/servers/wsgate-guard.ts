/**
 * The `handshake-guard` benchmark's server: a wsgate text echo whose handshake is guarded by one
 * HMAC bearer-token guard (`hmac`), by a guard that passes without checking anything (`pass`: what
 * wsgate's guard step costs by itself), or the same gateway without guards (`none`, the baseline).
 * The client sends `Authorization: Bearer <token>` to all, so the only difference is the guard.
 * `all` serves the three in one process, at /echo, /pass and /hmac (the in-process comparison).
 * Usage: node servers/wsgate-guard.js none|pass|hmac|all
 */
import 'reflect-metadata';
import { ECHO_PATH, HOST, serve } from '../common/harness';
import { verifyToken, type Claims } from '../common/hmac';
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
if (variant !== 'none' && variant !== 'pass' && variant !== 'hmac' && variant !== 'all') {
  console.error('usage: wsgate-guard.js none|pass|hmac|all');
  process.exit(2);
}

/** Verifies the HMAC of the bearer token; its claims become the principal. */
@injectable()
class HmacGuard implements Guard<Claims> {
  authenticate(h: Handshake<Claims>): GuardResult<Claims> {
    const claims = h.bearerToken === undefined ? undefined : verifyToken(h.bearerToken, Date.now());
    if (!claims) throw new HandshakeRejection(401, 'invalid token', { 'WWW-Authenticate': 'Bearer' });
    return { principal: claims };
  }
}

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

// `all` (the in-process comparison): the three side by side, at /echo, /pass and /hmac.
const gateways =
  variant === 'all' ? [echoGateway(ECHO_PATH, []), echoGateway('/pass', [PassGuard]), echoGateway('/hmac', [HmacGuard])]
  : [echoGateway(ECHO_PATH, variant === 'hmac' ? [HmacGuard] : variant === 'pass' ? [PassGuard] : [])];

void serve(`wsgate-guard ${variant}`, async () => {
  const app = createApp({ gateways });
  const address = await app.listen(0, HOST);
  return { port: address.port, close: () => app.close() };
});
