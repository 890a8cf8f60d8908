/**
 * The toy tokens of the expiry and refresh tests: `<id>:<name>:<ms from now>`, read as a guard would
 * read a real one (a principal with an `id`, and an expiry).
 */
import { HandshakeRejection, injectable, type Guard, type GuardResult, type Handshake } from '../../src';

export interface User {
  readonly id: string;
  readonly name: string;
}

export function parseTestToken(token: string): { principal: User; expiresAt: number } {
  const [id, name, ttl] = token.split(':');
  return { principal: { id, name }, expiresAt: Date.now() + Number(ttl) };
}

/** A guard that accepts any test token (401 without one); tests extend it with `refresh`. */
@injectable()
export class TestTokenGuard implements Guard<User> {
  authenticate(h: Handshake<User>): GuardResult<User> {
    if (!h.bearerToken) throw new HandshakeRejection(401, 'token required');
    return parseTestToken(h.bearerToken);
  }
}
