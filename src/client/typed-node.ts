/**
 * The typed client in Node: the transport is `websocketConnect`, the token an `Authorization` header.
 * @module
 */
import { setImmediate } from 'node:timers';
import { WebSocketHandshakeError } from '../errors';
import type { Contract } from '../protocol/contract';
import { openClient } from '../protocol/client/open';
import type { TypedClientOptions } from '../protocol/client/options';
import type { Transport, TransportFactory } from '../protocol/client/transport';
import type { ContractClient } from '../protocol/client/typed-client';
import type { ClientConnection } from './client-connection';
import { websocketConnect } from './connect';

/** A refused upgrade the typed client should treat like the matching close code (4000 + status). */
const STATUS_AS_CLOSE = new Set([401, 403, 429]);

function closeCodeOf(err: unknown): number {
  return err instanceof WebSocketHandshakeError && STATUS_AS_CLOSE.has(err.status) ? 4000 + err.status : 1006;
}

/**
 * A transport on `websocketConnect` in callback style. ws delivers the messages of one TCP chunk
 * in a single task: when the client says a reader is waiting for its turn, the next message waits
 * for a `setImmediate`, so that a `for await` over a stream keeps up instead of overflowing.
 */
export const nodeTransport: TransportFactory = (url, init, events) => {
  let conn: ClientConnection | undefined;
  let closing: { code?: number; reason?: string } | undefined;
  let ended = false;
  let markOpen!: () => void;
  // Messages that come with the 101, before our `then` ran, wait until onOpen has been told.
  const openGate = new Promise<void>((resolve) => (markOpen = resolve));
  let isOpen = false;
  const end = (code: number, reason: string, error?: Error): void => {
    if (ended) return;
    ended = true;
    markOpen();
    events.onClose(code, reason, error);
  };
  const deliver = (message: string | Buffer): Promise<void> | undefined => {
    if (closing) return undefined;
    const busy = typeof message === 'string' ? events.onMessage(message, false) : events.onMessage('', true);
    return busy ? new Promise((resolve) => setImmediate(resolve)) : undefined;
  };
  const headers: Record<string, string> = { ...init.headers };
  if (init.token !== undefined) headers.Authorization = `Bearer ${init.token}`;
  websocketConnect(url, {
    headers,
    subprotocols: init.protocols,
    onMessage: (message) => {
      if (message === null) return end(conn?.closeCode ?? 1006, conn?.closeReason ?? '');
      return isOpen ? deliver(message) : openGate.then(() => deliver(message));
    },
  }).then(
    (c) => {
      conn = c;
      if (closing) {
        markOpen();
        void c.close(closing.code, closing.reason);
        return;
      }
      events.onOpen();
      // What came with the 101 waits one more task: code right after `await connect()` can still
      // subscribe to it (a browser likewise delivers each message as a task of its own).
      setImmediate(() => {
        isOpen = true;
        markOpen();
      });
    },
    (err: Error) => end(closeCodeOf(err), err.message, err),
  );
  const transport: Transport = {
    send: (text) => (conn && !closing ? conn.writeMessage(text) : undefined),
    close: (code, reason) => {
      if (closing || ended) return;
      closing = { code, reason };
      if (conn) void conn.close(code, reason);
    },
  };
  return transport;
};

/**
 * Opens a typed client in Node. The token from `getToken` goes as `Authorization: Bearer`; `headers`
 * are added to the upgrade request.
 *
 * @example
 * ```ts
 * const c = await connect(chat, 'ws://127.0.0.1:8888/chat/lobby', { reconnect: true, getToken });
 * const { id } = await c.call('say', { text: 'hi' }, { timeout: 5000 });
 * c.on('message', (m) => console.log(m.text));
 * ```
 */
export function connect<C extends Contract>(contract: C, url: string | URL, options?: TypedClientOptions): Promise<ContractClient<C>> {
  return openClient(contract, url, options, nodeTransport);
}
