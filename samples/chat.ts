/**
 * Chat rooms on a contract (samples/chat-contract.ts) and topics (docs/behaviour.md#topics): every
 * member of `/chat/<room>` subscribes to `room:<room>`; what one member says is published to the
 * others through the app's Hub. With `REDIS_URL` set, rooms span every process started that way
 * (RedisBroker); without it, one process (MemoryBroker). `http://localhost:<port>/?room=<room>`
 * serves a page that uses the typed client from the ES-module build (dist/esm, `npm run build`).
 *
 * Run twice, then talk from one page to the other:
 *   REDIS_URL=redis://127.0.0.1:6379 PORT=8891 npm run start:chat
 *   REDIS_URL=redis://127.0.0.1:6379 PORT=8892 node dist/samples/chat.js
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Lifecycle, scoped } from 'tsyringe';
import {
  Connection,
  createApp,
  Gateway,
  Hub,
  MessageError,
  OnClose,
  OnMessage,
  OnOpen,
  type App,
  type AppOptions,
  type In,
  type MessageContext,
  type Out,
} from '../src';
import { RedisBroker } from '../src/redis';
import { chatContract, type ChatContract } from './chat-contract';
import { ChatHistory } from './chat-history';
import { serveChatFiles } from './chat-page';

let guests = 0;

/** One per connection: the member's nickname. */
@scoped(Lifecycle.ContainerScoped)
export class ChatNickname {
  value = `guest-${process.pid}-${++guests}`;
}


@Gateway('/chat/:room', { contract: chatContract })
export class ChatGateway {
  constructor(
    private readonly conn: Connection<ChatContract>,
    private readonly hub: Hub,
    private readonly nick: ChatNickname,
    private readonly history: ChatHistory,
  ) {}

  private get room(): string {
    return this.conn.params.room;
  }

  private get topic(): string {
    return `room:${this.room}`;
  }

  @OnOpen() async open(): Promise<void> {
    await this.conn.subscribe(this.topic); // lines from every node arrive from now on
    await this.conn.send('welcome', { nick: this.nick.value, room: this.room });
    await this.hub.publish(this.topic, chatContract, 'joined', { nick: this.nick.value }, { except: this.conn });
  }

  @OnMessage(chatContract, 'say')
  async say({ text }: In<ChatContract, 'say'>): Promise<Out<ChatContract, 'say'>> {
    // This chat runs no commands: a line that looks like one is sent only if the member says so.
    if (text.startsWith('/')) {
      const question = `"${text.split(/\s/, 1)[0]}" is not a command here. Send it as a message?`;
      const yes = await this.conn.call('confirm', { question }, { timeout: 60_000 });
      if (!yes) throw new MessageError('NOT_SENT', 'not sent', { reason: 'declined' });
    }
    const line = { id: randomUUID(), nick: this.nick.value, text, at: Date.now() };
    this.history.add(this.room, line);
    try {
      await this.hub.publish(this.topic, chatContract, 'message', line, { except: this.conn });
    } catch {
      // The broker is down: members on this node got it, the other nodes did not.
      throw new MessageError('NOT_SENT', 'not delivered to other servers; try again', { reason: 'broker' });
    }
    return { id: line.id };
  }

  @OnMessage(chatContract, 'typing') async typing({ on }: In<ChatContract, 'typing'>): Promise<void> {
    // Volatile: a typing hint lost while the broker is down is not worth an error.
    await this.hub.publish(this.topic, chatContract, 'typing', { nick: this.nick.value, on }, { except: this.conn }).catch(() => undefined);
  }

  @OnMessage(chatContract, 'history')
  async *recent({ limit }: In<ChatContract, 'history'>, ctx: MessageContext): AsyncIterable<Out<ChatContract, 'history'>> {
    for (const line of this.history.recent(this.room, limit)) {
      if (ctx.signal.aborted) return;
      yield line;
    }
  }

  @OnMessage(chatContract, 'nick') rename({ nick }: In<ChatContract, 'nick'>): Out<ChatContract, 'nick'> {
    this.nick.value = nick;
    return { nick };
  }

  @OnClose() onClose(): void {
    this.hub.publish(this.topic, chatContract, 'left', { nick: this.nick.value }).catch(() => undefined);
  }
}

export interface ChatAppOptions extends Partial<AppOptions> {
  /** Selects RedisBroker (rooms across processes); without it, MemoryBroker (this process). */
  redisUrl?: string;
  /** RedisBroker's channel prefix. */
  redisPrefix?: string;
}

/** The chat app (WebSocket only); `startChat` adds the page. */
export function createChatApp(options: ChatAppOptions = {}): App {
  const { redisUrl, redisPrefix, ...rest } = options;
  const broker = redisUrl ? new RedisBroker({ url: redisUrl, prefix: redisPrefix }) : undefined;
  const app = createApp({ ...rest, gateways: [ChatGateway], broker });
  // One history per app (a @singleton would be shared by every app of the process).
  app.container.registerInstance(ChatHistory, new ChatHistory());
  return app;
}

/** Starts the chat sample: the page at `/`, the built client under `/wsgate/`, rooms at `/chat/<room>`. */
export async function startChat(
  port = 8891,
  host?: string,
  options: ChatAppOptions = {},
): Promise<{ app: App; server: Server; address: AddressInfo; stop(): Promise<void> }> {
  const app = createChatApp(options);
  const server = createServer((req, res) => {
    if (!serveChatFiles(req, res)) app.handleRequest(req, res);
  });
  app.attach(server);
  try {
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  } catch (err) {
    await app.close();
    throw err;
  }
  const stop = async (): Promise<void> => {
    await app.close(); // 1001 to every member, @OnClose awaited, then the broker closes
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections(); // a browser's spare keep-alive connections (see samples/echo.ts)
    });
  };
  return { app, server, address: server.address() as AddressInfo, stop };
}

if (require.main === module) {
  const redisUrl = process.env.REDIS_URL;
  startChat(Number(process.env.PORT ?? 8891), process.env.HOST, { redisUrl }).then(
    ({ stop, address }) => {
      const where = redisUrl ? `Redis ${redisUrl}` : 'this process only';
      console.log(`wsgate chat: page at http://localhost:${address.port}/?room=lobby, ws://localhost:${address.port}/chat/<room> (${where})`);
      const shutdown = (): void => void stop().finally(() => process.exit(0));
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
