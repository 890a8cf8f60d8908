/**
 * A `$error` from the client is logged at debug level. Its `error` is whatever the client sent:
 * a logger that serialises its details as JSON (as pino and most structured loggers do) must not
 * be able to turn a deeply nested one into a failed connection and an error-level log line.
 */
import { Gateway, OnMessage, type Logger } from '../../src';
import { startApp } from '../helpers/app';
import { chat, JsonPeer } from './fixtures';

/** A structured logger: each line is JSON, details included. */
function jsonLogger(): Logger & { errors: string[]; debugs: string[] } {
  const errors: string[] = [];
  const debugs: string[] = [];
  const line = (message: string, details: unknown[]): string =>
    JSON.stringify({ message, details: details.map((d) => (d instanceof Error ? { name: d.name, message: d.message } : d)) });
  return {
    errors,
    debugs,
    error: (message, ...details) => void errors.push(line(message, details)),
    warn: () => undefined,
    debug: (message, ...details) => void debugs.push(line(message, details)),
  };
}

it("a client's $error with a 10,000-level error value is logged at debug level at most, and the connection stays usable", async () => {
  @Gateway('/chat', { contract: chat })
  class PeerErrorGateway {
    @OnMessage(chat, 'say') say({ text }: { text: string }): { id: string } {
      return { id: `m-${text}` };
    }
    @OnMessage(chat, 'typing') typing(): void {}
    @OnMessage(chat, 'ping') ping(): void {}
    @OnMessage(chat, 'history') async *history(): AsyncIterable<{ n: number }> {}
  }
  const logger = jsonLogger();
  const { url } = await startApp([PeerErrorGateway], { logger });
  const peer = await JsonPeer.open(url('/chat'));
  peer.send(`{"type":"$error","error":${'['.repeat(10_000)}${']'.repeat(10_000)}}`);

  expect(await peer.request('say', { text: 'still here' }, 1)).toEqual({ id: 1, data: { id: 'm-still here' } });
  expect(logger.errors).toEqual([]);
});
