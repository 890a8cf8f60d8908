/** Raw ws text echo: every frame goes back as it came (text stays text, binary stays binary). */
import { WebSocketServer } from 'ws';
import { ECHO_PATH, HOST, runningWebSocketServer, serve } from '../common/harness';

void serve('raw-text', async () => {
  const wss = new WebSocketServer({ host: HOST, port: 0, path: ECHO_PATH });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
  });
  return runningWebSocketServer(wss);
});
