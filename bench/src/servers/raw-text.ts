/** Raw ws text echo: every frame goes back as it came (text stays text, binary stays binary). */
import { WebSocketServer } from 'ws';
import { ECHO_PATH, HOST, serve } from '../common/harness';

void serve('raw-text', async () => {
  const wss = new WebSocketServer({ host: HOST, port: 0, path: ECHO_PATH });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
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
