import { get } from 'node:http';
import { startEcho } from '../../samples/echo';
import { ChatRoomGateway } from '../../samples/chat-room';
import { createChatApp } from '../../samples/chat';
import { onCleanup } from '../helpers/cleanup';
import { startApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { closed, collect, connect, nextMessage } from '../helpers/ws-client';

function fetchText(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe('samples/echo.ts (the seed example)', () => {
  it('answers "You said: Hello, world" and serves the page that uses it', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    onCleanup(() => log.mockRestore());
    const echo = await startEcho(0, '127.0.0.1');
    onCleanup(() => echo.stop());
    const { port } = echo.address;
    const ws = await connect(`ws://127.0.0.1:${port}/websocket`, undefined, { origin: `http://127.0.0.1:${port}` });
    ws.send('Hello, world');
    expect((await nextMessage(ws)).data).toBe('You said: Hello, world');

    const page = await fetchText(`http://127.0.0.1:${port}/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain(`new WebSocket('ws://' + location.host + '/websocket')`);
    expect(page.body).toContain("ws.send('Hello, world')");
    expect((await fetchText(`http://127.0.0.1:${port}/websocket`)).status).toBe(426);

    const end = closed(ws);
    ws.close(1000);
    await end;
    await eventually(() => log.mock.calls.some((c) => c[0] === 'WebSocket closed' && c[1] === 1000), '@OnClose log line');
    expect(log).toHaveBeenCalledWith('WebSocket opened');
  });
});

describe('samples/chat-room.ts', () => {
  it('broadcasts to the members of one room only, with joins and leaves', async () => {
    const { url } = await startApp([ChatRoomGateway]);
    const alice = await connect(url('/chat/lobby'));
    const aliceSees = collect(alice);
    await eventually(() => aliceSees.length === 1, 'alice sees her own join');
    alice.send('/nick alice');
    await eventually(() => aliceSees.length === 2, 'nick confirmation');
    const bob = await connect(url('/chat/lobby'));
    const bobSees = collect(bob);
    const other = await connect(url('/chat/elsewhere'));
    const otherSees = collect(other);
    await eventually(() => aliceSees.length === 3 && bobSees.length === 1, 'bob joined');
    bob.send('hi all');
    await eventually(() => aliceSees.length === 4 && bobSees.length === 2, 'the message');
    const last = JSON.parse(aliceSees[3] as string);
    expect(last).toMatchObject({ type: 'message', text: 'hi all' });
    expect(JSON.parse(bobSees[1] as string)).toEqual(last);
    bob.close();
    await eventually(() => aliceSees.length === 5, 'bob left');
    expect(JSON.parse(aliceSees[4] as string)).toMatchObject({ type: 'left', nick: last.nick });
    expect(otherSees.map((m) => JSON.parse(m as string).type)).toEqual(['joined']);
  });
});

describe('samples/chat.ts without REDIS_URL (MemoryBroker)', () => {
  it('publishes to the room’s other members through the Hub, not to the sender nor other rooms', async () => {
    const app = createChatApp();
    onCleanup(() => app.close());
    const { port } = await app.listen(0, '127.0.0.1');
    const alice = await connect(`ws://127.0.0.1:${port}/chat/lobby`);
    const bob = await connect(`ws://127.0.0.1:${port}/chat/lobby`);
    const other = await connect(`ws://127.0.0.1:${port}/chat/elsewhere`);
    const parsed = (ws: Parameters<typeof collect>[0]): Array<{ type: string; text?: string }> =>
      collect(ws).map((m) => JSON.parse(m.toString()) as { type: string });
    await eventually(() => parsed(alice).some((m) => m.type === 'joined') && parsed(other).length === 1, 'bob joined');
    alice.send('hello');
    await eventually(() => parsed(bob).some((m) => m.type === 'message'), 'bob gets it');
    expect(parsed(bob).find((m) => m.type === 'message')).toMatchObject({ text: 'hello' });
    other.send('marker'); // published to "elsewhere": other is alone there (and excepted)
    bob.send('back');
    await eventually(() => parsed(alice).some((m) => m.type === 'message'), 'alice gets the answer');
    expect(parsed(alice).filter((m) => m.type === 'message').map((m) => m.text)).toEqual(['back']);
    expect(parsed(other).map((m) => m.type)).toEqual(['welcome']);
  });
});
