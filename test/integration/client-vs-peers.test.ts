/**
 * Issue 5, wsgate's client against servers no one here wrote: peers/tornado_server.py and
 * peers/websockets_server.py (websockets 10.x legacy API), each started on a free port of
 * 127.0.0.1 and stopped by afterAll. Both sides' observations are asserted: what
 * `websocketConnect` returned, and the EVENT lines the peer printed.
 */
import { WebSocketClosedError, WebSocketHandshakeError, websocketConnect } from '../../src';
import { startPeerServer, type PeerEvent, type PeerServer } from './helpers/python';
import { eventually } from '../helpers/eventually';

type Client = Awaited<ReturnType<typeof websocketConnect>>;

const clients: Client[] = [];

/** websocketConnect, remembered so that afterEach closes it whatever the test did. */
async function connect(...args: Parameters<typeof websocketConnect>): Promise<Client> {
  const conn = await websocketConnect(...args);
  clients.push(conn);
  return conn;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
});

/** The handshake error a rejected websocketConnect gave (fails the test when it resolved). */
async function handshakeFailure(promise: Promise<Client>): Promise<unknown> {
  try {
    const conn = await promise;
    clients.push(conn);
  } catch (err) {
    return err;
  }
  throw new Error('websocketConnect resolved; a rejection was expected');
}

interface Info {
  subprotocol: string | null;
  compressed: boolean;
  origin: string | null;
  path: string;
}

async function request(conn: Client, message: string): Promise<unknown> {
  await conn.writeMessage(message);
  return conn.readMessage();
}

/** The peer's view of the connection (its "info" command). */
async function info(conn: Client): Promise<Info> {
  return JSON.parse((await request(conn, 'info')) as string) as Info;
}

describe.each([
  ['tornado', 'tornado_server.py'],
  ['websockets', 'websockets_server.py'],
])('websocketConnect against a %s server', (_peer, script) => {
  let peer: PeerServer;
  /** Events of connections opened since `mark` was taken. */
  let mark = 0;
  const since = (type: string, path = '/echo'): PeerEvent[] => peer.events.slice(mark).filter((e) => e.type === type && e.path === path);

  beforeAll(async () => {
    peer = await startPeerServer(script);
  });

  afterAll(async () => {
    await peer?.stop();
  });

  beforeEach(() => {
    mark = peer.events.length;
  });

  test('echo: text, binary, a JSON-encoded object, and async iteration until the server closes', async () => {
    const conn = await connect(peer.url('/echo'), { connectTimeout: 5000 });
    await conn.writeMessage('Hello, world');
    expect(await conn.readMessage()).toBe('Hello, world');
    await conn.writeMessage('héllo ✓ 😀');
    expect(await conn.readMessage()).toBe('héllo ✓ 😀');

    const bytes = Buffer.from(Array.from({ length: 1024 }, (_, i) => (i * 13 + 5) % 256));
    await conn.writeMessage(bytes);
    const binary = await conn.readMessage();
    expect(Buffer.isBuffer(binary)).toBe(true);
    expect(Buffer.compare(binary as Buffer, bytes)).toBe(0);

    await conn.writeMessage('as bytes', { binary: true });
    const asBytes = await conn.readMessage();
    expect(Buffer.isBuffer(asBytes) && asBytes.toString('utf8')).toBe('as bytes');

    await conn.writeMessage({ hello: 'peer', list: [1, 2] });
    expect(await conn.readMessage()).toBe('{"hello":"peer","list":[1,2]}');
    expect(JSON.parse((await request(conn, 'json')) as string)).toEqual({ hello: 'world', n: 42, list: [1, 2, 3] });

    // Messages that arrive before anyone reads are kept in order; iteration ends at the close.
    await conn.writeMessage('one');
    await conn.writeMessage('two');
    await conn.writeMessage('close:1000:done');
    const rest: unknown[] = [];
    for await (const message of conn) rest.push(message);
    expect(rest).toEqual(['one', 'two']);
    expect(conn.closeCode).toBe(1000);
    expect(await conn.readMessage()).toBeNull();
  });

  test("subprotocols ['v1', 'v2'] select v2; an offer the server does not take is accepted with none selected", async () => {
    const v2 = await connect(peer.url('/echo'), { subprotocols: ['v1', 'v2'] });
    expect(v2.selectedSubprotocol).toBe('v2');
    expect(await info(v2)).toMatchObject({ subprotocol: 'v2' });

    // tornado's client rule (docs/behaviour.md#client): a 101 that selects nothing is not an error
    const none = await connect(peer.url('/echo'), { subprotocols: ['v1'] });
    expect(none.selectedSubprotocol).toBeUndefined();
    expect(await request(none, 'still works')).toBe('still works');

    const noOffer = await connect(peer.url('/echo'));
    expect(noOffer.selectedSubprotocol).toBeUndefined();
    await eventually(() => since('open').length === 3, 'the peer to report three opens', 10_000);
    expect(since('open').map((e) => e.subprotocol)).toEqual(['v2', null, null]);
  });

  test('close codes: our close(4001, reason) reaches the peer; the peer closing with 4002 sets closeCode/closeReason', async () => {
    const conn = await connect(peer.url('/echo'));
    await conn.close(4001, 'client bye');
    const closed = await peer.waitForEvent((e) => e.type === 'closed' && e.path === '/echo' && e.code === 4001, 'closed 4001');
    expect(closed).toMatchObject({ code: 4001, reason: 'client bye' });
    expect(conn.closeCode).toBe(4001); // the peer echoes the code
    expect(() => conn.writeMessage('too late')).toThrow(WebSocketClosedError);
    expect(await conn.readMessage()).toBeNull();

    const other = await connect(peer.url('/echo'));
    await other.writeMessage('close:4002:server bye');
    expect(await other.readMessage()).toBeNull();
    expect(other.closeCode).toBe(4002);
    expect(other.closeReason).toBe('server bye');
    expect(() => other.writeMessage('too late')).toThrow(WebSocketClosedError);
    expect(() => other.ping()).toThrow(WebSocketClosedError);
    await other.close(); // idempotent after the peer's close
  });

  test("ping/pong: our ping reaches the peer with its payload; the peer's ping is answered with a pong", async () => {
    const conn = await connect(peer.url('/echo'));
    conn.ping('node-ping');
    await peer.waitForEvent((e) => e.type === 'ping' && e.data === 'node-ping', 'ping node-ping');
    expect(await request(conn, 'ping:srv-ping')).toBe('pinged:srv-ping');
    expect(JSON.parse((await request(conn, 'pongs')) as string)).toEqual(['srv-ping']);
  });

  test('compression: { compression: {} } negotiates permessage-deflate; a 350 kB message survives it both ways', async () => {
    const conn = await connect(peer.url('/echo'), { compression: {} });
    expect(await info(conn)).toMatchObject({ compressed: true });
    const big = 'wsgate '.repeat(50000);
    await conn.writeMessage(big);
    const back = await conn.readMessage();
    expect(typeof back).toBe('string');
    expect((back as string).length).toBe(big.length);
    expect(back === big).toBe(true);

    const plain = await connect(peer.url('/echo'));
    expect(await info(plain)).toMatchObject({ compressed: false });
  });

  test("a foreign Origin is refused by the peer's origin check: WebSocketHandshakeError with status 403", async () => {
    const err = await handshakeFailure(connect({ url: peer.url('/strict'), headers: { Origin: 'http://evil.example' } }));
    expect(err).toBeInstanceOf(WebSocketHandshakeError);
    expect((err as WebSocketHandshakeError).status).toBe(403);
    expect(since('open', '/strict')).toEqual([]);

    // the same peer lets in the Origin of its own host, given through options.headers
    const ok = await connect(peer.url('/strict'), { headers: { Origin: `http://127.0.0.1:${peer.port}` } });
    expect(await info(ok)).toMatchObject({ origin: `http://127.0.0.1:${peer.port}`, path: '/strict' });
  });

  test('an unknown path is refused: WebSocketHandshakeError with status 404', async () => {
    const err = await handshakeFailure(connect(peer.url('/nowhere')));
    expect(err).toBeInstanceOf(WebSocketHandshakeError);
    expect((err as WebSocketHandshakeError).status).toBe(404);
  });

  if (script === 'tornado_server.py') {
    test('a 200 page instead of a 101 rejects with WebSocketHandshakeError status 200', async () => {
      const err = await handshakeFailure(connect(peer.url('/page')));
      expect(err).toBeInstanceOf(WebSocketHandshakeError);
      expect((err as WebSocketHandshakeError).status).toBe(200);
    });
  }
});
