/**
 * Raw ws request/reply, written by hand the way a careful user would: JSON.parse, switch on the
 * type, the zod schema's safeParse, JSON.stringify of the reply `{ id, data }` (or `{ id, error }`).
 * The same wire format as a wsgate contract gateway (`{"type","id","data"}` in, `{"id","data"}` out).
 *
 * With the argument `corked` (`--with raw-rtt-corked`, an experiment): each socket is also corked
 * until the next tick on its first reply, so the replies to one TCP read leave in one writev, as
 * wsgate's connections do; the floor for what batching writes wins. With `first-uncorked`
 * (`--with raw-rtt-first-uncorked`, an experiment): wsgate's policy exactly — the first reply of a
 * tick is written at once, the ones after it are corked until the next tick.
 */
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { HOST, runningWebSocketServer, serve } from '../common/harness';
import { add, AddRequest, RTT_PATH, RTT_TYPE, validationError } from '../common/rtt';

interface Message {
  type?: unknown;
  id?: unknown;
  data?: unknown;
}

function onMessage(ws: WebSocket, text: string): void {
  let message: Message;
  try {
    message = JSON.parse(text) as Message;
  } catch {
    ws.send(JSON.stringify({ type: '$error', error: { code: 'BAD_MESSAGE', message: 'not JSON' } }));
    return;
  }
  if (typeof message !== 'object' || message === null) {
    ws.send(JSON.stringify({ type: '$error', error: { code: 'BAD_MESSAGE', message: 'not a JSON object' } }));
    return;
  }
  switch (message.type) {
    case RTT_TYPE: {
      const parsed = AddRequest.safeParse(message.data);
      if (!parsed.success) ws.send(JSON.stringify({ id: message.id, error: validationError(parsed.error) }));
      else ws.send(JSON.stringify({ id: message.id, data: add(parsed.data) }));
      return;
    }
    default:
      ws.send(JSON.stringify({ id: message.id, error: { code: 'UNKNOWN_TYPE', message: `unknown message type ${JSON.stringify(message.type)}` } }));
  }
}

const variant = process.argv[2];
const corked = variant === 'corked' || variant === 'first-uncorked';
const firstUncorked = variant === 'first-uncorked';

// A tick counter advanced by one process.nextTick per tick in which it was read (as wsgate's).
let tick = 0;
let advancePending = false;
function advance(): void {
  tick++;
  advancePending = false;
}
function currentTick(): number {
  if (!advancePending) {
    advancePending = true;
    process.nextTick(advance);
  }
  return tick;
}

function uncork(socket: Socket & { corkedByBench?: boolean }): void {
  socket.corkedByBench = false;
  socket.uncork();
}

void serve(variant ? `raw-rtt-${variant}` : 'raw-rtt', async () => {
  const wss = new WebSocketServer({ host: HOST, port: 0, path: RTT_PATH });
  wss.on('connection', (ws) => {
    const socket = (ws as unknown as { _socket: Socket & { corkedByBench?: boolean } })._socket;
    let lastTick = -1;
    /** Whether this is the connection's first reply in this tick (and remembers that it was). */
    const firstOfTick = (): boolean => {
      const now = currentTick();
      const first = lastTick !== now;
      lastTick = now;
      return first;
    };
    ws.on('message', (data, isBinary) => {
      if (corked && !(firstUncorked && firstOfTick()) && !socket.corkedByBench) {
        socket.corkedByBench = true;
        socket.cork();
        process.nextTick(uncork, socket);
      }
      if (!isBinary) onMessage(ws, (data as Buffer).toString());
    });
  });
  return runningWebSocketServer(wss);
});
