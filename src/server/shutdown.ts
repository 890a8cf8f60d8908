/**
 * Closing a set of connections within one deadline (app.close()): optionally drain, send the close
 * frame, cut who does not answer, wait for @OnClose and disposal, and never wait past the deadline,
 * whatever user code is doing.
 * @module
 */
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { kSocket } from '../constants';
import type { Logger } from '../types';
import { describeHook } from './definition';
import type { Dispatcher } from './dispatcher';

export interface ShutdownOptions {
  readonly code: number;
  readonly reason: string;
  /** Bounds the whole of it, in ms. */
  readonly timeout: number;
  /** Stop reading and let running handlers finish first (queued messages are dropped). */
  readonly drain: boolean;
}

/** One timer for the whole shutdown: `race(p)` is true when `p` settled first, false once the time is up. */
function startDeadline(ms: number): { race(p: Promise<unknown>): Promise<boolean>; clear(): void } {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  return {
    race: (p) => Promise.race([p.then(() => true), expired]),
    clear: () => clearTimeout(timer),
  };
}

/** One turn of the event loop: what a cut socket needs to report its end (and a sync @OnClose to run). */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Closes `connections` with `code`/`reason` behind the writes already in flight, and resolves once
 * each has ended, run its @OnClose and had its container disposed, or once `timeout` ms have passed:
 * then the connections still open are cut, and hooks that still have not settled are logged and
 * left behind. The disposal of a connection whose handler is still running when its @OnClose is
 * done is not awaited: that handler may be the one awaiting app.close().
 */
export async function closeConnections(connections: readonly Dispatcher[], options: ShutdownOptions, logger: Logger): Promise<void> {
  const { code, reason, timeout, drain } = options;
  const deadline = startDeadline(timeout);
  try {
    if (drain && !(await deadline.race(Promise.all(connections.map((d) => d.drain()))))) {
      for (const d of connections) {
        if (d.handlerRunning) logger.warn(`wsgate: app.close(): a handler of ${d.gateway.name} was still running after ${timeout} ms of drain`);
      }
    }
    // close() sends the close frame behind whatever is already queued on the socket, so writes in
    // flight are flushed first; it resolves once the connection has ended and @OnClose has run.
    const ended = Promise.all(connections.map((d) => d.conn.close(code, reason)));
    if (!(await deadline.race(ended))) {
      // Cut who is still open, and wait for their sockets' 'close' (it follows the cut within a few
      // ticks, after our own listener has run @OnClose), not for @OnClose to settle.
      const cut = connections.map((d) => d.conn[kSocket]).filter((ws) => ws !== undefined && ws.readyState !== WebSocket.CLOSED);
      const closes = Promise.all(cut.map((ws) => once(ws!, 'close')));
      for (const ws of cut) ws!.terminate();
      await closes;
      await Promise.race([ended, turn()]);
    }
    const disposed = Promise.all(connections.filter((d) => !d.handlerRunning).map((d) => d.whenDisposed()));
    // Past the deadline, disposals already under way (of connections just cut) get one more turn.
    if (!(await deadline.race(disposed))) await Promise.race([disposed, turn()]);
  } finally {
    deadline.clear();
  }
  for (const d of connections) {
    if (d.closeHookRunning) logger.error(`wsgate: app.close(): ${describeHook(d.gateway, 'close')} had not settled after ${timeout} ms; not waiting for it`);
  }
}
