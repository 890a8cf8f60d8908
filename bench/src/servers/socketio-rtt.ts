/**
 * socket.io request/reply: `socket.on('add', (data, ack) => …)` validates with the same zod schema
 * and answers through the acknowledgement (the client uses `emitWithAck`). WebSocket transport
 * only (no HTTP long-polling), no per-message compression, as the other servers.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { HOST, serve } from '../common/harness';
import { add, AddRequest, RTT_TYPE, validationError } from '../common/rtt';

void serve('socketio-rtt', async () => {
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });
  io.on('connection', (socket) => {
    socket.on(RTT_TYPE, (data: unknown, ack: (reply: unknown) => void) => {
      if (typeof ack !== 'function') return;
      const parsed = AddRequest.safeParse(data);
      ack(parsed.success ? { data: add(parsed.data) } : { error: validationError(parsed.error) });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, HOST, resolve));
  return {
    port: (http.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => void io.close(() => resolve())),
  };
});
