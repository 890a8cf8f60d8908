/**
 * Method decorators. Each records which method implements a hook; createApp validates them.
 * @module
 */
import { updateGatewayMetadata, type HookKind } from './metadata';

function hookDecorator(kind: HookKind): MethodDecorator {
  return (target, method) => {
    updateGatewayMetadata(target.constructor, (m) => {
      const previous = m.hooks[kind];
      if (previous !== undefined && previous !== method) {
        return { ...m, conflicts: [...m.conflicts, { kind, methods: [previous, method] }] };
      }
      return { ...m, hooks: { ...m.hooks, [kind]: method } };
    });
  };
}

/**
 * Called once the handshake has completed, with the path parameters (URL-decoded strings).
 * May be async: messages that arrive meanwhile wait for it. Mirrors tornado's `open(*args)`.
 *
 * @example
 * ```ts
 * @OnOpen() open(room: string) { this.conn.subscribe(`room:${room}`); }
 * ```
 */
export function OnOpen(): MethodDecorator {
  return hookDecorator('open');
}

/**
 * Called for each message (`string` for text, `Buffer` for binary), one at a time and in order:
 * a returned promise holds back the next message. A returned value other than `undefined`
 * is sent back with `writeMessage`. Mirrors tornado's `on_message`.
 *
 * @example
 * ```ts
 * @OnMessage() onMessage(m: string) { return `You said: ${m}`; }
 * ```
 */
export function OnMessage(): MethodDecorator {
  return hookDecorator('message');
}

/**
 * Called exactly once when the connection has ended, however it ended. Mirrors tornado's `on_close`.
 *
 * @example
 * ```ts
 * @OnClose() onClose() { console.log('closed', this.conn.closeCode); }
 * ```
 */
export function OnClose(): MethodDecorator {
  return hookDecorator('close');
}

/**
 * Decides during the handshake whether a request with an `Origin` header is accepted:
 * `(origin: string) => boolean | Promise<boolean>`; `false` answers 403. Without it, only
 * same-host origins are accepted. Mirrors tornado's `check_origin`.
 *
 * @example
 * ```ts
 * @CheckOrigin() allow(origin: string) { return new URL(origin).hostname.endsWith('.example.com'); }
 * ```
 */
export function CheckOrigin(): MethodDecorator {
  return hookDecorator('checkOrigin');
}

/**
 * Picks a subprotocol from those the client offered (`string[]`, empty when none); returning
 * `null`/`undefined` selects none. Mirrors tornado's `select_subprotocol`.
 *
 * @example
 * ```ts
 * @Subprotocol() pick(offered: string[]) { return offered.includes('v2') ? 'v2' : null; }
 * ```
 */
export function Subprotocol(): MethodDecorator {
  return hookDecorator('subprotocol');
}

/**
 * Called with the payload of each ping frame (pongs are sent automatically). Mirrors tornado's `on_ping`.
 *
 * @example
 * ```ts
 * @OnPing() onPing(data: Buffer) { this.lastPing = Date.now(); }
 * ```
 */
export function OnPing(): MethodDecorator {
  return hookDecorator('ping');
}

/**
 * Called with the payload of each pong frame. Mirrors tornado's `on_pong`.
 *
 * @example
 * ```ts
 * @OnPong() onPong(data: Buffer) { this.alive = true; }
 * ```
 */
export function OnPong(): MethodDecorator {
  return hookDecorator('pong');
}
