/**
 * Handshake abuse: slowloris, oversized headers, connection floods over maxConnections, and
 * upgrades to paths that do not exist. The server must cut the abuser and keep serving the rest.
 */
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { inject, Lifecycle, scoped } from 'tsyringe';
import WebSocket from 'ws';
import { CheckOrigin, Connection, Gateway, OnClose, OnMessage } from '../../src';
import { startApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { onCleanup } from '../helpers/cleanup';
import { rawRequest, upgradeHeaders } from '../helpers/http';
import { frame, Opcode, parseFrames } from '../helpers/frames';
import { openSocket, trickle } from '../helpers/slowloris';
import { closed, connect, nextMessage } from '../helpers/ws-client';

/** What the probes and gateways of one test observed. */
interface Observed {
  /** Instances created (one per upgrade that got as far as constructing a gateway). */
  created: number;
  /** Those whose container was disposed. */
  disposed: number;
  /** @OnClose runs of the echo gateway. */
  closes: number;
}

function observed(): Observed {
  return { created: 0, disposed: 0, closes: 0 };
}

/**
 * A ContainerScoped probe class (fresh for each call) that counts into `seen` the instances created
 * and disposed. Gateways take it with @inject(probe): its class is a value here, not a type name.
 */
function probeClass(seen: Observed) {
  @scoped(Lifecycle.ContainerScoped)
  class ConnectionProbe {
    constructor() {
      seen.created++;
    }
    dispose(): void {
      seen.disposed++;
    }
  }
  return ConnectionProbe;
}

/** An echo gateway (fresh for each call) with a probe, counting its @OnClose runs into `seen`. */
function echoGateway(seen: Observed) {
  const probe = probeClass(seen);
  @Gateway('/echo')
  class EchoGateway {
    constructor(
      private readonly conn: Connection,
      @inject(probe) readonly probe: object,
    ) {}
    @OnMessage() message(m: string): Promise<void> {
      return this.conn.writeMessage(m);
    }
    @OnClose() onClose(): void {
      seen.closes++;
    }
  }
  return EchoGateway;
}

/** An echo gateway with a path parameter (fresh for each call) and a probe counting into `seen`. */
function roomGateway(seen: Observed) {
  const probe = probeClass(seen);
  @Gateway('/room/:name')
  class RoomGateway {
    constructor(@inject(probe) readonly probe: object) {}
    @OnMessage() message(m: string): string {
      return m;
    }
  }
  return RoomGateway;
}

/** An echo gateway (fresh for each call) whose @CheckOrigin takes 20 ms, with a probe counting into `seen`. */
function slowOriginGateway(seen: Observed) {
  const probe = probeClass(seen);
  @Gateway('/slow-origin')
  class SlowOriginGateway {
    constructor(@inject(probe) readonly probe: object) {}
    @CheckOrigin() async check(): Promise<boolean> {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return true;
    }
    @OnMessage() message(m: string): string {
      return m;
    }
  }
  return SlowOriginGateway;
}

async function echoes(ws: Awaited<ReturnType<typeof connect>>, text: string): Promise<void> {
  ws.send(text);
  expect((await nextMessage(ws)).data).toBe(text);
}

describe('slowloris', () => {
  it('cuts an upgrade whose headers never finish once handshakeTimeout has passed, and keeps serving', async () => {
    const seen = observed();
    const handshakeTimeout = 400;
    const { url, port } = await startApp([echoGateway(seen)], { handshakeTimeout });
    const healthy = await connect(url('/echo'));
    const slow = trickle(port, 25, 400); // up to 10 s of trickling: far past the timeout
    await echoes(healthy, 'served while the slow client trickles');
    const { received, elapsedMs } = await slow;
    // Node answers 408 (or just closes) when its headersTimeout expires.
    expect(received === '' || received.startsWith('HTTP/1.1 408')).toBe(true);
    expect(elapsedMs).toBeGreaterThanOrEqual(handshakeTimeout); // never before the timeout
    expect(seen.created).toBe(1); // only the healthy connection's instance
    // The established connection is older than handshakeTimeout and is not cut by it.
    await echoes(healthy, 'still here after the timeout');
  });

  it('cuts 100 parallel slowloris connections while a healthy client keeps echoing', async () => {
    const seen = observed();
    const { url, port } = await startApp([echoGateway(seen)], { handshakeTimeout: 300 });
    const healthy = await connect(url('/echo'));
    const attackers = Array.from({ length: 100 }, () => trickle(port, 50, 200));
    for (let i = 0; i < 5; i++) await echoes(healthy, `message ${i}`);
    const results = await Promise.all(attackers);
    expect(results.every((r) => r.received === '' || r.received.startsWith('HTTP/1.1 408'))).toBe(true);
    await echoes(healthy, 'after the attack');
    expect(seen.created).toBe(1);
  });

  it('does not cut an established WebSocket that stays idle for longer than handshakeTimeout', async () => {
    const { url, app } = await startApp([echoGateway(observed())], { handshakeTimeout: 100 });
    const ws = await connect(url('/echo'));
    // Several of Node's connection checks (every min(1 s, handshakeTimeout)) pass meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 600));
    await echoes(ws, 'idle but alive');
    expect(app.connectionCount).toBe(1);
  });
});

describe('oversized headers', () => {
  it.each([
    ['one 20 KiB header', { 'X-Big': 'a'.repeat(20 * 1024) }],
    ['1,000 small headers (24 KiB in all)', Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`X-H${i}`, 'b'.repeat(16)]))],
  ])('answers 431 (or 400) to an upgrade with %s, creates nothing, and keeps serving', async (_name, extra) => {
    const seen = observed();
    const { url, port, logger } = await startApp([echoGateway(seen)]);
    const res = await rawRequest(port, '/echo', upgradeHeaders(extra));
    expect([400, 431]).toContain(res.status);
    expect(seen.created).toBe(0);
    await echoes(await connect(url('/echo')), 'fine');
    expect(logger.errors).toEqual([]);
  });

  it('cuts a header that grows past the limit without ever ending', async () => {
    const seen = observed();
    const { port } = await startApp([echoGateway(seen)]);
    const { socket, received, ended } = openSocket(port);
    await once(socket, 'connect');
    socket.write('GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Endless: ');
    const chunk = 'c'.repeat(1024);
    let sent = 0;
    let cut = false;
    void ended.then(() => (cut = true));
    // Bounded: 64 MiB is 4,096 times Node's 16 KiB limit (the kernel may take a few MiB before the server reads).
    while (!cut && !socket.destroyed && sent < 64 * 1024) {
      await new Promise<void>((resolve) => socket.write(chunk, () => resolve()));
      sent++;
    }
    await ended;
    expect(sent).toBeLessThan(64 * 1024); // the server cut it before the test gave up
    // Node answers 431; the answer can be lost when the kernel resets a socket with unread data.
    expect(received()).toMatch(/^(HTTP\/1\.1 (431|400)|$)/);
    expect(seen.created).toBe(0);
  });
});

describe('maxConnections', () => {
  it('answers 503 to upgrades over the limit, leaves the others and plain requests alone, and frees a slot on close', async () => {
    const seen = observed();
    const { url, port, app, logger } = await startApp([echoGateway(seen), roomGateway(seen)], { maxConnections: 3 });
    const clients = await Promise.all([1, 2, 3].map(() => connect(url('/echo'))));
    expect(app.connectionCount).toBe(3);

    const refused = await rawRequest(port, '/echo', upgradeHeaders());
    expect(refused.status).toBe(503);
    expect(refused.body).toMatch(/Too many connections/);
    expect((await rawRequest(port, '/room/a', upgradeHeaders())).status).toBe(503);
    expect(seen.created).toBe(3); // no instance for the refused upgrades
    // Plain HTTP is not an upgrade: still answered as usual.
    expect((await rawRequest(port, '/echo', { Host: 'localhost' })).status).toBe(426);
    for (const [i, ws] of clients.entries()) await echoes(ws, `client ${i} unaffected`);

    const end = closed(clients[0]);
    clients[0].close(1000);
    await end;
    await eventually(() => app.connectionCount === 2, 'the slot to be freed');
    const fourth = await connect(url('/echo'));
    await echoes(fourth, 'took the freed slot');
    expect((await rawRequest(port, '/echo', upgradeHeaders())).status).toBe(503);
    expect(logger.errors).toEqual([]);
  });

  it('admits exactly maxConnections of 20 simultaneous upgrades', async () => {
    const seen = observed();
    const { url, app } = await startApp([echoGateway(seen)], { maxConnections: 5 });
    const attempts = Array.from({ length: 20 }, () => {
      const ws = new WebSocket(url('/echo'));
      onCleanup(() => ws.terminate());
      return new Promise<{ ws: WebSocket; status: number }>((resolve, reject) => {
        ws.once('upgrade', () => resolve({ ws, status: 101 }));
        ws.once('unexpected-response', (_req, res) => resolve({ ws, status: res.statusCode ?? 0 }));
        ws.once('error', reject);
      });
    });
    const answers = await Promise.all(attempts);
    const admitted = answers.filter((a) => a.status === 101);
    expect(admitted).toHaveLength(5);
    expect(answers.filter((a) => a.status === 503)).toHaveLength(15);
    expect(app.connectionCount).toBe(5);
    for (const { ws } of admitted) ws.terminate();
    await eventually(() => app.connectionCount === 0 && seen.closes === 5, 'the five connections to end');
    await eventually(() => seen.disposed === 5, 'their containers to be disposed');
    expect(seen.created).toBe(5);
  });

  it.each([
    ['resets', (s: Socket) => s.resetAndDestroy()],
    ['half-closes', (s: Socket) => s.end()],
    ['closes', (s: Socket) => s.destroy()],
  ])('frees the slot of a client that %s while @CheckOrigin runs', async (_name, leave) => {
    const seen = observed();
    const { url, port, app } = await startApp([slowOriginGateway(seen), echoGateway(seen)], { maxConnections: 1 });
    for (let i = 1; i <= 10; i++) {
      const { socket, ended } = openSocket(port);
      await once(socket, 'connect');
      const head = Object.entries(upgradeHeaders({ Origin: 'http://elsewhere.test' })).map(([k, v]) => `${k}: ${String(v)}`);
      socket.write(`GET /slow-origin HTTP/1.1\r\n${head.join('\r\n')}\r\n\r\n`);
      // A leaked slot would answer this attempt 503 before any instance is created.
      await eventually(() => seen.created === i, `attempt ${i} to reach @CheckOrigin`);
      leave(socket);
      await ended;
      await eventually(() => seen.disposed === i, `attempt ${i}'s instance to be disposed`);
    }
    expect(app.connectionCount).toBe(0);
    await echoes(await connect(url('/echo')), 'the slot is free');
  });
});

describe('unknown paths', () => {
  it('never create a container, whatever the path', async () => {
    const seen = observed();
    const { url, port, app } = await startApp([echoGateway(seen), roomGateway(seen)]);
    let containers = 0;
    const createChild = app.container.createChildContainer.bind(app.container);
    app.container.createChildContainer = () => {
      containers++;
      return createChild();
    };
    const paths = [
      '/',
      '/nope',
      '/echo/',
      '/echo/extra',
      '//echo',
      '/ECHO',
      '/room',
      '/room/',
      '/room/a/b',
      '/../echo',
      '/echo%2F',
      '/%zz',
      `/${'x'.repeat(8000)}`,
      '*',
      'http://evil.test/echo',
    ];
    const statuses = [];
    for (const path of paths) statuses.push((await rawRequest(port, path, upgradeHeaders())).status);
    for (const status of statuses) expect([400, 404]).toContain(status);
    expect(containers).toBe(0);
    expect(seen.created).toBe(0);
    await echoes(await connect(url('/echo')), 'known path still served');
    expect(containers).toBe(1);
  });
});

describe('frames that arrive before the 101', () => {
  it.each([
    ['/echo', {}],
    ['/slow-origin', { Origin: 'http://elsewhere.test' }], // also while the async @CheckOrigin runs
  ])('are delivered in order on %s', async (path, extra) => {
    const { port } = await startApp([echoGateway(observed()), slowOriginGateway(observed())]);
    const { socket, received } = openSocket(port);
    await once(socket, 'connect');
    const head = Object.entries(upgradeHeaders(extra)).map(([k, v]) => `${k}: ${String(v)}`);
    // The request and two frames in one write (ws gets them as the upgrade's `head`), a third one right after.
    socket.write(Buffer.concat([Buffer.from(`GET ${path} HTTP/1.1\r\n${head.join('\r\n')}\r\n\r\n`), frame(Opcode.text, 'first'), frame(Opcode.text, 'second')]));
    socket.write(frame(Opcode.text, 'third'));
    const texts = (): string[] => {
      const raw = Buffer.from(received(), 'latin1');
      const end = raw.indexOf('\r\n\r\n');
      return end === -1 ? [] : parseFrames(raw.subarray(end + 4), 'server').frames.map((f) => f.payload.toString());
    };
    await eventually(() => texts().length === 3, 'three echoes');
    expect(received()).toMatch(/^HTTP\/1\.1 101 /);
    expect(texts()).toEqual(['first', 'second', 'third']);
  });
});
