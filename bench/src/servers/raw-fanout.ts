/**
 * Raw ws fan-out: GET /publish on the control port sends one 64-byte text message to every
 * connected client with a plain ws.send loop (the payload encoded once, as a careful ws user
 * would), and answers how long the loop took and when every frame had been flushed.
 */
import { WebSocketServer } from 'ws';
import { ECHO_PATH, FANOUT_MESSAGE, HOST, microsSince, runningWebSocketServer, serve } from '../common/harness';

let wss: WebSocketServer;
const payload = Buffer.from(FANOUT_MESSAGE);

function publish(): Promise<Record<string, number>> {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    let pending = wss.clients.size;
    const sent = pending;
    let loopUs = 0;
    const done = (): void => {
      if (--pending === 0) resolve({ recipients: sent, loopUs, flushUs: microsSince(start) });
    };
    for (const ws of wss.clients) ws.send(payload, { binary: false }, done);
    loopUs = microsSince(start);
    if (sent === 0) resolve({ recipients: 0, loopUs, flushUs: loopUs });
  });
}

void serve(
  'raw-fanout',
  async () => {
    wss = new WebSocketServer({ host: HOST, port: 0, path: ECHO_PATH });
    wss.on('connection', (ws) => ws.on('message', () => undefined));
    return runningWebSocketServer(wss);
  },
  { publish },
);
