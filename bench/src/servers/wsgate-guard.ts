/**
 * The `handshake-guard` benchmark's server: a wsgate text echo whose handshake is guarded by one
 * HMAC bearer-token guard (`hmac`), or the same gateway without guards (`none`, the baseline). The
 * client sends `Authorization: Bearer <token>` to both, so the only difference is the guard.
 * Usage: node servers/wsgate-guard.js none|hmac
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
if (variant !== 'none' && variant !== 'hmac') {
  console.error('usage: wsgate-guard.js none|hmac');
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

@Gateway(ECHO_PATH, variant === 'hmac' ? { guards: [HmacGuard] } : {})
class EchoGateway {
  constructor(readonly conn: Connection<never, Claims>) {}

  @OnMessage()
  onMessage(message: string): string {
    return message;
  }
}

void serve(`wsgate-guard ${variant}`, async () => {
  const app = createApp({ gateways: [EchoGateway] });
  const address = await app.listen(0, HOST);
  return { port: address.port, close: () => app.close() };
});
