/**
 * The typed client in a browser: on the global `WebSocket`, the token offered as a subprotocol.
 * No imports but relative ones (this is what the ES-module build serves to browsers).
 * @module
 */
import type { Contract } from '../contract';
import { bearerProtocol } from './bearer';
import { openClient } from './open';
import type { TypedClientOptions } from './options';
import type { TransportFactory } from './transport';
import type { ContractClient } from './typed-client';

/** What is used of the browser's WebSocket (declared here: the Node build has no DOM types). */
interface BrowserSocket {
  readonly readyState: number;
  onopen: (() => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
type BrowserSocketClass = new (url: string, protocols: string[]) => BrowserSocket;

const OPEN = 1;

function socketClass(): BrowserSocketClass {
  const WS = (globalThis as { WebSocket?: BrowserSocketClass }).WebSocket;
  if (typeof WS !== 'function') throw new TypeError('connect: this environment has no global WebSocket');
  return WS;
}

/** A transport on the global `WebSocket`. Each message is its own task there, so it never needs to yield. */
export const browserTransport: TransportFactory = (url, init, events) => {
  const WS = socketClass();
  const protocols = [...init.protocols];
  if (init.token !== undefined) protocols.push(bearerProtocol(init.token));
  const ws = new WS(url, protocols);
  ws.onopen = () => events.onOpen();
  ws.onmessage = (event) => void (typeof event.data === 'string' ? events.onMessage(event.data, false) : events.onMessage('', true));
  ws.onclose = (event) => events.onClose(event.code, event.reason);
  return {
    send: (text) => {
      if (ws.readyState === OPEN) ws.send(text);
    },
    close: (code, reason) => {
      try {
        ws.close(code, reason);
      } catch {
        ws.close(); // a code the browser refuses (1001–2999): close plainly
      }
    },
  };
};

/**
 * Opens a typed client in a browser. `headers` cannot be set there: passing them throws `TypeError`.
 * The token from `getToken` is offered as the subprotocol `wsgate.bearer.<base64url>` beside `wsgate.v1`.
 *
 * @example
 * ```ts
 * const c = await connect(chat, 'wss://chat.example.com/chat/lobby', { reconnect: true });
 * const { id } = await c.call('say', { text: 'hi' });
 * ```
 */
export function connect<C extends Contract>(contract: C, url: string | URL, options?: TypedClientOptions): Promise<ContractClient<C>> {
  if (options?.headers !== undefined) return Promise.reject(new TypeError('connect: a browser cannot set request headers (`headers` is Node only)'));
  return openClient(contract, url, options, browserTransport);
}
