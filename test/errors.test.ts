import * as wsgate from '../src';

describe('error classes (docs/behaviour.md#errors)', () => {
  it.each([
    ['WebSocketClosedError', new wsgate.WebSocketClosedError()],
    ['WebSocketHandshakeError', new wsgate.WebSocketHandshakeError('refused', 403)],
    ['WebSocketError', new wsgate.WebSocketError(4000, 'why')],
    ['TimeoutError', new wsgate.TimeoutError('too slow')],
    ['GatewayDefinitionError', new wsgate.GatewayDefinitionError('bad gateway')],
    ['BrokerError', new wsgate.BrokerError('broker down')],
  ])('%s is exported, extends Error and has its name', (name, err) => {
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe(name);
    expect((wsgate as Record<string, unknown>)[name]).toBe(err.constructor);
    expect(String(err)).toMatch(new RegExp(`^${name}: `));
  });

  it('carries the status of a refused handshake and the code and reason of a close', () => {
    expect(new wsgate.WebSocketHandshakeError('refused', 403).status).toBe(403);
    const err = new wsgate.WebSocketError(4003, 'nope');
    expect([err.code, err.reason, err.message]).toEqual([4003, 'nope', 'WebSocket closed with 4003: nope']);
  });
});
