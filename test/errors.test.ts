import * as wsgate from '../src';

describe('error classes (docs/behaviour.md#errors)', () => {
  it.each([
    ['WebSocketClosedError', new wsgate.WebSocketClosedError()],
    ['WebSocketHandshakeError', new wsgate.WebSocketHandshakeError('refused', 403)],
    ['WebSocketError', new wsgate.WebSocketError(4000, 'why')],
    ['TimeoutError', new wsgate.TimeoutError('too slow')],
    ['GatewayDefinitionError', new wsgate.GatewayDefinitionError('bad gateway')],
    ['BrokerError', new wsgate.BrokerError('broker down')],
    ['WebSocketConnectError', new wsgate.WebSocketConnectError('refused', 'ECONNREFUSED')],
    ['MessageError', new wsgate.MessageError('RATE_LIMITED', 'slow down')],
  ])('%s is exported, extends Error, has its name and the cross-realm marker', (name, err) => {
    expect(err).toBeInstanceOf(Error);
    expect((err as unknown as Record<symbol, unknown>)[Symbol.for('wsgate.error')]).toBe(true);
    expect(err.name).toBe(name);
    expect((wsgate as Record<string, unknown>)[name]).toBe(err.constructor);
    expect(String(err)).toMatch(new RegExp(`^${name}: `));
  });

  it('MessageError.is recognises a MessageError from another copy or realm by its marker and name, and nothing else', () => {
    const foreign = Object.assign(new Error('slow down'), { name: 'MessageError', code: 'X', [Symbol.for('wsgate.error')]: true });
    expect(wsgate.MessageError.is(foreign)).toBe(true);
    expect(wsgate.MessageError.is(new wsgate.TimeoutError('t'))).toBe(false);
    expect(wsgate.MessageError.is(Object.assign(new Error('x'), { name: 'MessageError' }))).toBe(false);
    expect(wsgate.MessageError.is(null)).toBe(false);
  });

  it('carries the status of a refused handshake and the code and reason of a close', () => {
    expect(new wsgate.WebSocketHandshakeError('refused', 403).status).toBe(403);
    const err = new wsgate.WebSocketError(4003, 'nope');
    expect([err.code, err.reason, err.message]).toEqual([4003, 'nope', 'WebSocket closed with 4003: nope']);
  });
});
