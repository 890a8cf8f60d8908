/**
 * The flooding peer for flood.ts, in its own process so that its send buffer (every message at
 * once) is not counted in the server's memory: sends COUNT messages of SIZE bytes as fast as
 * ws accepts them ("<seq> xxxx…"), then waits for the server's "done <n>" and closes.
 *
 *   node -r ./test/scripts/register-ts.js test/scripts/flood-client.ts PORT COUNT SIZE
 */
import WebSocket from 'ws';

const [port, count, size] = process.argv.slice(2).map(Number);
const ws = new WebSocket(`ws://127.0.0.1:${port}/flood`);
ws.on('open', () => {
  for (let i = 0; i < count; i++) {
    const head = `${i} `;
    ws.send(head + 'x'.repeat(size - head.length));
  }
  process.stdout.write(`${JSON.stringify({ queued: count, bufferedAmount: ws.bufferedAmount })}\n`);
});
ws.on('message', (data: Buffer) => {
  process.stdout.write(`${JSON.stringify({ reply: data.toString() })}\n`);
  ws.close(1000);
});
ws.on('close', () => process.exit(0));
ws.on('error', (err) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
