import { Connection, Gateway, OnClose, OnMessage, OnOpen, OnPing, WebSocketError } from '../../src';
import { startApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { closePayload, frame, Opcode } from '../helpers/frames';
import { RawPeer } from '../helpers/raw-peer';
import { closed, collect, connect, nextMessage } from '../helpers/ws-client';

interface CloseRecord {
  code: number | undefined;
  reason: string | undefined;
}

/**
 * An echo gateway (fresh for each call) with what it observed: the server-side connections it was
 * constructed with, and the close code and reason each @OnClose saw.
 */
function echoFixture() {
  const conns: Connection[] = [];
  const closes: CloseRecord[] = [];
  @Gateway('/echo')
  class EchoGateway {
    constructor(private readonly conn: Connection) {
      conns.push(conn);
    }
    @OnMessage() message(m: string | Buffer): Promise<void> {
      return this.conn.writeMessage(m);
    }
    @OnClose() onClose(): void {
      closes.push({ code: this.conn.closeCode, reason: this.conn.closeReason });
    }
  }
  return { EchoGateway, conns, closes };
}

async function echoWorks(url: string): Promise<void> {
  const ws = await connect(url);
  ws.send('still here');
  expect((await nextMessage(ws)).data).toBe('still here');
}

describe('close codes and @OnClose', () => {
  it('exposes the code and reason the client sent, and runs @OnClose once', async () => {
    const { EchoGateway, closes } = echoFixture();
    const { url, app } = await startApp([EchoGateway]);
    const ws = await connect(url('/echo'));
    ws.close(4321, 'bye now');
    await eventually(() => closes.length === 1, '@OnClose');
    expect(closes).toEqual([{ code: 4321, reason: 'bye now' }]);
    await eventually(() => app.connectionCount === 0, 'connectionCount 0');
  });

  it('leaves closeCode undefined when the client sent no code', async () => {
    const { EchoGateway, closes } = echoFixture();
    const { url } = await startApp([EchoGateway]);
    const ws = await connect(url('/echo'));
    ws.close();
    await eventually(() => closes.length === 1, '@OnClose');
    expect(closes[0]).toEqual({ code: undefined, reason: undefined });
  });

  it('runs @OnClose once, with no code, when the TCP connection is reset', async () => {
    const { EchoGateway, closes } = echoFixture();
    const { url } = await startApp([EchoGateway]);
    const ws = await connect(url('/echo'));
    ws.terminate();
    await eventually(() => closes.length === 1, '@OnClose');
    expect(closes[0]).toEqual({ code: undefined, reason: undefined });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closes).toHaveLength(1);
  });

  it('closes from the server with a code and reason; close() is idempotent and resolves after @OnClose', async () => {
    const events: string[] = [];
    /** Closes with the message as the reason (twice: the second call must return the same promise). */
    @Gateway('/server-close')
    class ClosesOnMessageGateway {
      private onCloseRan = false;
      constructor(private readonly conn: Connection) {}
      @OnMessage() async message(m: string): Promise<void> {
        const first = this.conn.close(4000, m);
        const second = this.conn.close(4999, 'ignored');
        expect(second).toBe(first); // idempotent: the same promise, no second close frame
        await first;
        events.push(`close() resolved after OnClose: ${this.onCloseRan}`);
      }
      @OnClose() onClose(): void {
        this.onCloseRan = true;
        events.push(`OnClose ${this.conn.closeCode} ${this.conn.closeReason}`);
      }
    }
    const { url } = await startApp([ClosesOnMessageGateway]);
    const ws = await connect(url('/server-close'));
    const end = closed(ws);
    ws.send('server says bye');
    expect(await end).toEqual({ code: 4000, reason: 'server says bye' });
    await eventually(() => events.length === 2, '@OnClose and the handler');
    expect(events).toEqual(['OnClose 4000 server says bye', 'close() resolved after OnClose: true']);
  });

  it('rejects invalid close codes and overlong reasons synchronously', async () => {
    const { EchoGateway, conns } = echoFixture();
    const { url } = await startApp([EchoGateway]);
    const ws = await connect(url('/echo'));
    ws.send('x');
    await nextMessage(ws);
    expect(() => conns[0].close(1005)).toThrow(RangeError);
    expect(() => conns[0].close(999)).toThrow(RangeError);
    expect(() => conns[0].close(1000, 'x'.repeat(124))).toThrow(RangeError);
    expect(conns[0].isOpen).toBe(true);
  });

  it('closes every connection with 1001 on app.close() and runs every @OnClose', async () => {
    const { EchoGateway, closes } = echoFixture();
    const { url, app } = await startApp([EchoGateway]);
    const clients = await Promise.all([1, 2, 3].map(() => connect(url('/echo'))));
    const ends = clients.map((ws) => closed(ws));
    expect(app.connectionCount).toBe(3);
    await app.close();
    for (const end of ends) expect(await end).toEqual({ code: 1001, reason: 'Going Away' });
    expect(closes.map((c) => c.code)).toEqual([1001, 1001, 1001]);
    expect(app.connectionCount).toBe(0);
  });
});

describe('handler errors', () => {
  it.each([
    ['sync', 1011, 'Internal error', /FailsOnMessageGateway\.message \(@OnMessage\) failed: Error: sync failure on boom/],
    ['async', 1011, 'Internal error', /FailsOnMessageGateway\.message \(@OnMessage\) failed: Error: async failure on boom/],
    ['invalid-code', 1011, 'Internal error', /invalid close code/],
  ])('a %s failure closes with %d, runs @OnClose, logs the gateway, and leaves other connections alone', async (how, code, reason, logLine) => {
    let onCloseRan = false;
    @Gateway(`/fail/${how}`)
    class FailsOnMessageGateway {
      @OnMessage() async message(m: string): Promise<string> {
        if (how === 'sync') throw new Error(`sync failure on ${m}`);
        await Promise.resolve();
        if (how === 'async') throw new Error(`async failure on ${m}`);
        if (how === 'invalid-code') throw new WebSocketError(1005, 'reserved code');
        return m;
      }
      @OnClose() onClose(): void {
        onCloseRan = true;
      }
    }
    const { EchoGateway } = echoFixture();
    const { url, logger } = await startApp([FailsOnMessageGateway, EchoGateway]);
    const bystander = await connect(url('/echo'));
    const ws = await connect(url(`/fail/${how}`));
    const end = closed(ws);
    ws.send('boom');
    expect(await end).toEqual({ code, reason });
    expect(logger.errors.join('\n')).toMatch(logLine);
    await eventually(() => onCloseRan, '@OnClose of the failed connection');
    bystander.send('still here');
    expect((await nextMessage(bystander)).data).toBe('still here');
  });

  it('a deliberate WebSocketError(4003) closes with its code and is logged at debug level only, without a stack', async () => {
    let onCloseRan = false;
    @Gateway('/fail/custom')
    class RefusesOnMessageGateway {
      @OnMessage() async message(): Promise<void> {
        await Promise.resolve();
        throw new WebSocketError(4003, 'nope');
      }
      @OnClose() onClose(): void {
        onCloseRan = true;
      }
    }
    const { url, logger } = await startApp([RefusesOnMessageGateway]);
    const ws = await connect(url('/fail/custom'));
    const end = closed(ws);
    ws.send('boom');
    expect(await end).toEqual({ code: 4003, reason: 'nope' });
    await eventually(() => onCloseRan, '@OnClose of the refused connection');
    expect(logger.errors).toEqual([]);
    expect(logger.debugs).toEqual(['wsgate: RefusesOnMessageGateway.message (@OnMessage) closed the connection with 4003 "nope"']);
  });

  it('closes with 1011 when @OnOpen throws, delivers no message, and still runs @OnClose', async () => {
    let onCloseRuns = 0;
    @Gateway('/fail-open')
    class FailsOnOpenGateway {
      @OnOpen() open(): void {
        throw new Error('open failed');
      }
      @OnMessage() message(): string {
        return 'should never be delivered';
      }
      @OnClose() onClose(): void {
        onCloseRuns++;
      }
    }
    const { url, logger } = await startApp([FailsOnOpenGateway]);
    const ws = await connect(url('/fail-open'));
    const messages = collect(ws);
    const end = closed(ws);
    ws.send('ignored');
    expect(await end).toEqual({ code: 1011, reason: 'Internal error' });
    expect(messages).toEqual([]);
    await eventually(() => onCloseRuns === 1, '@OnClose');
    expect(logger.errors.join('\n')).toMatch(/FailsOnOpenGateway\.open \(@OnOpen\) failed: Error: open failed/);
  });

  it('closes with the WebSocketError code when @OnOpen rejects with one', async () => {
    let onCloseRuns = 0;
    @Gateway('/refuse-open')
    class RefusesOnOpenGateway {
      @OnOpen() open(): Promise<void> {
        return Promise.reject(new WebSocketError(4010, 'not today'));
      }
      @OnMessage() message(): string {
        return 'should never be delivered';
      }
      @OnClose() onClose(): void {
        onCloseRuns++;
      }
    }
    const { url } = await startApp([RefusesOnOpenGateway]);
    const ws = await connect(url('/refuse-open'));
    expect(await closed(ws)).toEqual({ code: 4010, reason: 'not today' });
    await eventually(() => onCloseRuns === 1, '@OnClose');
  });

  it('logs an exception in @OnClose and still ends the connection cleanly', async () => {
    let onCloseRuns = 0;
    @Gateway('/fail-close')
    class FailsOnCloseGateway {
      @OnMessage() message(): void {}
      @OnClose() onClose(): void {
        onCloseRuns++;
        throw new Error('close handler failed');
      }
    }
    const { EchoGateway } = echoFixture();
    const { url, app, logger } = await startApp([FailsOnCloseGateway, EchoGateway]);
    const ws = await connect(url('/fail-close'));
    ws.close(1000);
    await eventually(() => app.connectionCount === 0, 'connectionCount 0');
    expect(onCloseRuns).toBe(1);
    expect(logger.errors.join('\n')).toMatch(/FailsOnCloseGateway\.onClose \(@OnClose\) failed: Error: close handler failed/);
    await echoWorks(url('/echo'));
  });

  it('closes with 1011 when @OnPing throws', async () => {
    @Gateway('/fail-ping')
    class FailsOnPingGateway {
      @OnMessage() message(): void {}
      @OnPing() ping(data: Buffer): void {
        throw new Error(`ping handler failed on ${data.toString()}`);
      }
    }
    const { url, logger } = await startApp([FailsOnPingGateway]);
    const ws = await connect(url('/fail-ping'));
    const end = closed(ws);
    ws.ping('hi');
    expect(await end).toEqual({ code: 1011, reason: 'Internal error' });
    expect(logger.errors.join('\n')).toMatch(/FailsOnPingGateway\.ping \(@OnPing\) failed: Error: ping handler failed on hi/);
  });
});

describe('bad frames', () => {
  it('closes with 1009 when a message exceeds maxMessageSize (per gateway), others unaffected', async () => {
    let onCloseRuns = 0;
    @Gateway('/small', { maxMessageSize: 1024 })
    class SmallMessagesGateway {
      @OnMessage() message(m: string): string {
        return `got ${m.length}`;
      }
      @OnClose() onClose(): void {
        onCloseRuns++;
      }
    }
    const { EchoGateway } = echoFixture();
    const { url } = await startApp([SmallMessagesGateway, EchoGateway]);
    const ws = await connect(url('/small'));
    ws.send('x'.repeat(1024));
    expect((await nextMessage(ws)).data).toBe('got 1024');
    const end = closed(ws);
    ws.send('x'.repeat(1025));
    expect((await end).code).toBe(1009);
    await eventually(() => onCloseRuns === 1, '@OnClose');
    await echoWorks(url('/echo'));
  });

  it('applies the app-wide maxMessageSize', async () => {
    const { EchoGateway } = echoFixture();
    const { url } = await startApp([EchoGateway], { maxMessageSize: 100 });
    const ws = await connect(url('/echo'));
    const end = closed(ws);
    ws.send(Buffer.alloc(101));
    expect((await end).code).toBe(1009);
  });

  it('closes with 1007 on invalid UTF-8 in a text frame', async () => {
    const { EchoGateway, closes } = echoFixture();
    const { port, url } = await startApp([EchoGateway]);
    const peer = await RawPeer.open(port, '/echo');
    peer.send(frame(Opcode.text, Buffer.from([0xc3, 0x28])));
    expect((await peer.closeFrame())?.code).toBe(1007);
    await eventually(() => closes.length === 1, '@OnClose');
    expect(closes[0]).toEqual({ code: undefined, reason: undefined });
    await echoWorks(url('/echo'));
  });

  it('closes with 1007 on invalid UTF-8 in a close reason', async () => {
    const { EchoGateway } = echoFixture();
    const { port } = await startApp([EchoGateway]);
    const peer = await RawPeer.open(port, '/echo');
    peer.send(frame(Opcode.close, closePayload(1000, Buffer.from([0xff]))));
    expect((await peer.closeFrame())?.code).toBe(1007);
  });

  it.each([
    ['2^53', [0x00, 0x20, 0, 0, 0, 0, 0, 0]],
    ['2^63 − 1', [0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
  ])('closes with 1009 (too big, not a protocol error) on a legal 64-bit length of %s', async (_name, length) => {
    const { EchoGateway, closes } = echoFixture();
    const { port, url } = await startApp([EchoGateway]);
    const peer = await RawPeer.open(port, '/echo');
    peer.send(Buffer.from([0x81, 0xff, ...length, 1, 2, 3, 4]));
    expect((await peer.closeFrame())?.code).toBe(1009);
    await eventually(() => closes.length === 1, '@OnClose');
    await echoWorks(url('/echo'));
  });

  it.each([
    ['an unmasked client frame', frame(Opcode.text, 'hi', { mask: false })],
    ['a reserved opcode', frame(3, 'hi')],
    ['reserved bits', frame(Opcode.text, 'hi', { rsv: 2 })],
    ['a fragmented ping', frame(Opcode.ping, 'p', { fin: false })],
    ['an oversize ping', frame(Opcode.ping, Buffer.alloc(126))],
    ['an invalid close code', frame(Opcode.close, closePayload(1005))],
    ['a continuation without a start', frame(Opcode.continuation, 'x')],
    ['a 64-bit length with its top bit set', Buffer.from([0x81, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4])],
  ])('closes with 1002 on %s and runs @OnClose once', async (_name, bytes) => {
    const { EchoGateway, closes } = echoFixture();
    const { port, url } = await startApp([EchoGateway]);
    const peer = await RawPeer.open(port, '/echo');
    peer.send(bytes);
    expect((await peer.closeFrame())?.code).toBe(1002);
    await eventually(() => closes.length === 1, '@OnClose');
    await echoWorks(url('/echo'));
    expect(closes).toHaveLength(1);
  });
});
