/** Raw ws JSON echo: JSON.parse every message, send JSON.stringify of the result. */
import { WebSocketServer } from 'ws';
import { ECHO_PATH, HOST, runningWebSocketServer, serve } from '../common/harness';

void serve('raw-json', async () => {
  const wss = new WebSocketServer({ host: HOST, port: 0, path: ECHO_PATH });
  wss.on('connection', (ws) => {
    ws.on('message', (data) => ws.send(JSON.stringify(JSON.parse((data as Buffer).toString()))));
  });
  return runningWebSocketServer(wss);
});
