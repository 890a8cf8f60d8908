/** Raw ws JSON echo: JSON.parse every message, send JSON.stringify of the result. */
import { WebSocketServer } from 'ws';
import { ECHO_PATH, HOST, serve } from '../common/harness';

void serve('raw-json', async () => {
  const wss = new WebSocketServer({ host: HOST, port: 0, path: ECHO_PATH });
  wss.on('connection', (ws) => {
    ws.on('message', (data) => ws.send(JSON.stringify(JSON.parse((data as Buffer).toString()))));
  });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  return {
    port: (wss.address() as { port: number }).port,
    close: () => {
      for (const ws of wss.clients) ws.terminate();
      return new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
});
