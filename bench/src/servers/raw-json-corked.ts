/**
 * Experiment (not in the default runs; `--only throughput-json --with raw-json-corked`): raw ws JSON
 * echo that corks each socket for the rest of the tick on its first reply, so the replies to one
 * TCP read leave in one writev (what uWebSockets does). Shows what batching writes can win.
 */
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { ECHO_PATH, HOST, runningWebSocketServer, serve } from '../common/harness';

function uncork(socket: Socket): void {
  (socket as Socket & { corkedByBench?: boolean }).corkedByBench = false;
  socket.uncork();
}

void serve('raw-json-corked', async () => {
  const wss = new WebSocketServer({ host: HOST, port: 0, path: ECHO_PATH });
  wss.on('connection', (ws: WebSocket) => {
    const socket = (ws as unknown as { _socket: Socket & { corkedByBench?: boolean } })._socket;
    ws.on('message', (data) => {
      if (!socket.corkedByBench) {
        socket.corkedByBench = true;
        socket.cork();
        process.nextTick(uncork, socket);
      }
      ws.send(JSON.stringify(JSON.parse((data as Buffer).toString())));
    });
  });
  return runningWebSocketServer(wss);
});
