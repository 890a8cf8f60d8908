/**
 * wss://: app.attach() on an https server with a certificate made at test time by openssl,
 * verified by the client against that certificate (no rejectUnauthorized: false).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request, createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection, createApp, Gateway, OnMessage } from '../../src';
import { memoryLogger } from '../helpers/app';
import { onCleanup } from '../helpers/cleanup';
import { closed, connect, nextMessage } from '../helpers/ws-client';

let cert: Buffer;
let key: Buffer;

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'wsgate-tls-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    ], { stdio: 'ignore' });
    cert = readFileSync(join(dir, 'cert.pem'));
    key = readFileSync(join(dir, 'key.pem'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A gateway (fresh for each call) that answers each message with whether it came over TLS. */
function tlsReportingEchoGateway() {
  @Gateway('/secure')
  class ReportsTlsProtocolGateway {
    constructor(private readonly conn: Connection) {}
    @OnMessage() message(m: string): string {
      return `${m} over ${this.conn.request.encrypted ? 'TLS' : 'plain TCP'}`;
    }
  }
  return ReportsTlsProtocolGateway;
}

async function startTlsApp(gateway: new (...args: never[]) => object): Promise<{ port: number; server: Server }> {
  const app = createApp({ gateways: [gateway], logger: memoryLogger() });
  const server = createServer({ key, cert });
  server.on('request', app.handleRequest);
  app.attach(server);
  onCleanup(async () => {
    await app.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, server };
}

describe('TLS', () => {
  it('serves a wss:// round trip on an attached https server', async () => {
    const { port } = await startTlsApp(tlsReportingEchoGateway());
    const ws = await connect(`wss://127.0.0.1:${port}/secure`, undefined, { ca: cert });
    ws.send('hello');
    expect((await nextMessage(ws)).data).toBe('hello over TLS');
    const end = closed(ws);
    ws.close(1000, 'done');
    expect(await end).toEqual({ code: 1000, reason: 'done' });
  });

  it('answers plain https requests to the gateway path with 426 through app.handleRequest', async () => {
    const { port } = await startTlsApp(tlsReportingEchoGateway());
    const status = await new Promise<number | undefined>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/secure', ca: cert }, (res) => {
        res.resume();
        resolve(res.statusCode);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(426);
  });

  it('refuses a client that does not trust the certificate, and keeps serving the others', async () => {
    const { port } = await startTlsApp(tlsReportingEchoGateway());
    await expect(connect(`wss://127.0.0.1:${port}/secure`)).rejects.toThrow(/self[- ]signed/i);
    const ws = await connect(`wss://127.0.0.1:${port}/secure`, undefined, { ca: cert });
    ws.send('still');
    expect((await nextMessage(ws)).data).toBe('still over TLS');
  });
});
