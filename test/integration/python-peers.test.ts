/**
 * Issue 5, Python clients against a wsgate server: the `websockets` client (legacy asyncio API of
 * websockets 10.x) and tornado's websocket_connect run the scripted checks of
 * peers/websockets_client.py and peers/tornado_client.py; both sides' observations are asserted.
 */
import type { AddressInfo } from 'node:net';
import {
  Connection,
  createApp,
  Gateway,
  OnClose,
  OnMessage,
  OnOpen,
  OnPing,
  OnPong,
  Subprotocol,
  type App,
  type IncomingMessage,
} from '../../src';
import { killAllPeers, runPeerClient } from './helpers/python';
import { memoryLogger } from '../helpers/app';
import { eventually } from '../helpers/eventually';

interface Seen {
  path: string;
  type: 'open' | 'close' | 'closeResolved' | 'ping' | 'pong' | 'offered';
  subprotocol?: string;
  offered?: string[];
  data?: string;
  code?: number;
  reason?: string;
}

/**
 * The gateways of one client run (fresh for each call), with what they saw: /echo (permessage-deflate
 * from the app's `compression: {}`) and /plain (compression: false), both serving the command set of
 * peers/tornado_server.py.
 */
function peerCommandsFixture() {
  const seen: Seen[] = [];

  /** The command set of peers/tornado_server.py, served by wsgate. */
  abstract class PeerCommands {
    private readonly pings: string[] = [];
    private readonly pongs: string[] = [];
    constructor(protected readonly conn: Connection) {}

    private get path(): string {
      return this.conn.request.url ?? '?';
    }

    @Subprotocol() select(offered: string[]): string | null {
      seen.push({ path: this.path, type: 'offered', offered });
      return offered.includes('v2') ? 'v2' : null;
    }

    @OnOpen() open(): void {
      seen.push({ path: this.path, type: 'open', subprotocol: this.conn.selectedSubprotocol });
    }

    @OnMessage() async onMessage(m: IncomingMessage): Promise<unknown> {
      if (typeof m === 'string') {
        const close = /^close:(\d+):(.*)$/.exec(m);
        if (close) {
          await this.conn.close(Number(close[1]), close[2]);
          seen.push({ path: this.path, type: 'closeResolved' });
          return undefined;
        }
        if (m.startsWith('ping:')) {
          this.conn.ping(m.slice('ping:'.length));
          return `pinged:${m.slice('ping:'.length)}`;
        }
        if (m === 'pings') return JSON.stringify(this.pings);
        if (m === 'pongs') return JSON.stringify(this.pongs);
        if (m === 'json') return { hello: 'world', n: 42, list: [1, 2, 3] };
      }
      return m;
    }

    @OnPing() onPing(data: Buffer): void {
      this.pings.push(data.toString('utf8'));
      seen.push({ path: this.path, type: 'ping', data: data.toString('utf8') });
    }

    @OnPong() onPong(data: Buffer): void {
      this.pongs.push(data.toString('utf8'));
      seen.push({ path: this.path, type: 'pong', data: data.toString('utf8') });
    }

    @OnClose() onClose(): void {
      seen.push({ path: this.path, type: 'close', code: this.conn.closeCode, reason: this.conn.closeReason });
    }
  }

  /** permessage-deflate comes from the app's `compression: {}`. */
  @Gateway('/echo')
  class EchoGateway extends PeerCommands {
    constructor(conn: Connection) {
      super(conn);
    }
  }

  @Gateway('/plain', { compression: false })
  class UncompressedGateway extends PeerCommands {
    constructor(conn: Connection) {
      super(conn);
    }
  }

  return { EchoGateway, UncompressedGateway, seen };
}

/** What both client scripts print (see peers/websockets_client.py). */
interface ClientResult {
  peer: string;
  version: string;
  errors: string[];
  [check: string]: unknown;
}

const BIG_LENGTH = 'wsgate '.length * 50000;

describe.each([
  ['websockets', 'websockets_client.py'],
  ['tornado', 'tornado_client.py'],
])('the %s client against a wsgate server', (peer, script) => {
  let app: App;
  let result: ClientResult;
  const logger = memoryLogger();
  const { EchoGateway, UncompressedGateway, seen } = peerCommandsFixture();

  beforeAll(async () => {
    app = createApp({ gateways: [EchoGateway, UncompressedGateway], compression: {}, logger });
    const { port } = (await app.listen(0, '127.0.0.1')) as AddressInfo;
    ({ result } = await runPeerClient<ClientResult>(script, [`ws://127.0.0.1:${port}`]));
    // Every connection the script opened has ended on the server too.
    await eventually(() => app.connectionCount === 0, 'every connection to end', 10_000);
  });

  afterAll(async () => {
    await app?.close();
    await killAllPeers();
  });

  test('runs every scripted step without an error', () => {
    expect(result.peer).toBe(peer);
    expect(result.errors).toEqual([]);
    expect(logger.errors).toEqual([]);
    expect(logger.warnings).toEqual([]);
  });

  test('echo: text (ASCII and non-ASCII) and binary frames come back unchanged and typed', () => {
    expect(result.echoText).toBe('Hello, world');
    expect(result.echoUnicode).toBe('héllo ✓ 😀');
    expect(result.echoBinaryType).toBe('bytes');
    expect(result.echoBinaryEqual).toBe(true);
    expect(result.json).toEqual({ hello: 'world', n: 42, list: [1, 2, 3] });
  });

  test("subprotocol: offering ['v1', 'v2'] selects v2; offering none or only 'v1' selects none and still works", () => {
    expect(result.subprotocol).toBe('v2');
    expect(result.noOfferSubprotocol).toBeNull();
    expect(result.unmatchedSubprotocol).toBeNull();
    expect(result.unmatchedEcho).toBe('still works');
    const offered = seen.filter((s) => s.type === 'offered').map((s) => s.offered);
    expect(offered).toContainEqual(['v1', 'v2']);
    expect(offered).toContainEqual(['v1']);
    expect(offered).toContainEqual([]);
    expect(seen.filter((s) => s.type === 'open').map((s) => s.subprotocol)).toContain('v2');
  });

  test('ping/pong: the client ping reaches @OnPing and is answered; conn.ping reaches the client and its pong reaches @OnPong', () => {
    expect(result.pongReceived).toBe(true);
    expect(result.serverSawPings).toEqual(['py-ping']);
    expect(result.pingedReply).toBe('pinged:srv-ping');
    expect(result.clientSawPings).toEqual(['srv-ping']);
    expect(result.serverSawPongs).toEqual(['srv-ping']);
    expect(seen.filter((s) => s.type === 'ping').map((s) => s.data)).toEqual(['py-ping']);
    expect(seen.filter((s) => s.type === 'pong').map((s) => s.data)).toEqual(['srv-ping']);
  });

  test('close codes both ways: the client closes with 4001, the server with 4002', () => {
    // client → server: @OnClose sees the client's code and reason; the client gets the code echoed
    expect(seen).toContainEqual({ path: '/echo', type: 'close', code: 4001, reason: 'client bye' });
    expect(result.clientCloseEcho).toMatchObject({ code: 4001 });
    // server → client: conn.close(4002, 'server bye') reaches the client; close() resolved
    expect(result.serverClose).toEqual({ code: 4002, reason: 'server bye' });
    expect(seen.filter((s) => s.type === 'closeResolved')).toHaveLength(1);
    expect(seen).toContainEqual(expect.objectContaining({ path: '/echo', type: 'close', code: 4002 }));
  });

  test('compression: permessage-deflate is negotiated when both sides want it, and a 350 kB message survives it', () => {
    expect(result.extensions).toEqual(['permessage-deflate']);
    expect(result.echoBigLength).toBe(BIG_LENGTH);
    expect(result.echoBigEqual).toBe(true);
    expect(result.noOfferExtensions).toEqual([]);
    expect(result.noOfferEcho).toBe('plain');
    // a gateway with compression: false does not accept the client's offer
    expect(result.plainPathExtensions).toEqual([]);
    expect(result.plainPathEcho).toBe('plain path');
  });

  test('every connection ran @OnOpen and @OnClose exactly once', () => {
    const opens = seen.filter((s) => s.type === 'open').length;
    const closes = seen.filter((s) => s.type === 'close').length;
    expect(opens).toBe(5);
    expect(closes).toBe(opens);
  });
});
