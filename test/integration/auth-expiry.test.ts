/**
 * Expiry with a real clock: connections whose credentials expire within a second are closed with
 * 4401 no later than 100 ms after `expiresAt` (the app's wheel ticks every 50 ms). A timing bound,
 * so it lives in the integration suite, not in the unit tests.
 */
import { Connection, Gateway, injectable, OnOpen, OnMessage, type Guard, type GuardResult, type Handshake } from '../../src';
import { startApp } from '../helpers/app';
import { closed, connect, nextMessage } from '../helpers/ws-client';

describe('credential expiry with a real clock', () => {
  it('closes 50 connections with 4401 within 100 ms of their expiresAt', async () => {
    const expiries = new Map<string, number>();
    @injectable()
    class ShortLived implements Guard<{ id: string }> {
      authenticate(h: Handshake): GuardResult<{ id: string }> {
        const id = h.bearerToken ?? '?';
        const expiresAt = Date.now() + 300 + Math.floor(Math.random() * 700);
        expiries.set(id, expiresAt);
        return { principal: { id }, expiresAt };
      }
    }
    @Gateway('/recorded', { guards: [ShortLived] })
    class RecordedGateway {
      constructor(private readonly conn: Connection) {}
      @OnOpen() open(): Promise<void> {
        return this.conn.writeMessage('open');
      }
      @OnMessage() onMessage(): void {}
    }
    const { url } = await startApp([RecordedGateway]);
    const lateness = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const ws = await connect(url('/recorded'), undefined, { headers: { Authorization: `Bearer c${i}` } });
        await nextMessage(ws);
        const end = await closed(ws);
        expect(end).toEqual({ code: 4401, reason: 'credentials expired' });
        return Date.now() - expiries.get(`c${i}`)!;
      }),
    );
    expect(Math.min(...lateness)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...lateness)).toBeLessThanOrEqual(100);
  });
});
