/**
 * Chat rooms on a contract (samples/chat-contract.ts) and topics (docs/behaviour.md#topics): every
 * member of `/chat/<room>` subscribes to `room:<room>`; what one member says is published to the
 * others through the app's Hub. With `REDIS_URL` set, rooms span every process started that way
 * (RedisBroker); without it, one process (MemoryBroker). `http://localhost:<port>/?room=<room>`
 * serves a page that uses the typed client from the ES-module build (dist/esm, `npm run build`).
 *
 * Authentication (samples/chat-auth.ts): the gateway's guard `ChatAuth` wants a signed token
 * (`Authorization: Bearer` from Node, the `wsgate.bearer.*` subprotocol from a browser, both sent by
 * the typed client's `getToken`); without a valid one the upgrade is answered 101 and closed with
 * 4401 at once (`rejectWith: 'close'`, so that a page can read why). `GET /token?name=<name>` is the
 * demo's login (samples/chat-page.ts). A token lives `CHAT_TOKEN_TTL` seconds (5 minutes): before
 * that the server sends `$auth.expiring`, the typed client calls `getToken` again and sends the new
 * token over the open socket, the guard's `refresh` checks it, and `@OnReauth` follows a change of
 * name; a connection that is not refreshed is closed with 4401 at the token's `exp`.
 *
 * Names: a member's nick starts as the name in its token (the principal's `name`), and `welcome`,
 * `joined`, `message`, `typing` and `left` carry the nick. The `nick` request still renames a member
 * for the rest of its connection: a display name the token does not vouch for (a real app would
 * drop it, or show the account name beside it). When a refresh brings a different `name`, the
 * account was renamed: the nick becomes that name, a rename by `nick` included; a refresh with the
 * same name leaves the nick as it is.
 *
 * Run twice with one secret, then talk from one page to the other:
 *   CHAT_SECRET=change-me REDIS_URL=redis://127.0.0.1:6379 PORT=8891 npm run start:chat
 *   CHAT_SECRET=change-me REDIS_URL=redis://127.0.0.1:6379 PORT=8892 node dist/samples/chat.js
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inject, Lifecycle, scoped } from 'tsyringe';
import {
  Connection,
  createApp,
  Gateway,
  Hub,
  MessageError,
  OnClose,
  OnMessage,
  OnOpen,
  OnReauth,
  Principal,
  type App,
  type AppOptions,
  type In,
  type MessageContext,
  type Out,
} from '../src';
import { RedisBroker } from '../src/redis';
import { ChatAuth, ChatTokens, type ChatUser } from './chat-auth';
import { chatContract, type ChatContract } from './chat-contract';
import { ChatHistory } from './chat-history';
import { serveChatFiles } from './chat-page';

/** One per connection: the member's nickname, which starts as the name in its token. */
@scoped(Lifecycle.ContainerScoped)
export class ChatNickname {
  value: string;
  /** The principal's name the nick last followed (a refresh compares with it). */
  accountName: string;

  constructor(@inject(Principal) user: ChatUser) {
    this.value = this.accountName = user.name;
  }
}

@Gateway('/chat/:room', { contract: chatContract, guards: [ChatAuth], rejectWith: 'close' })
export class ChatGateway {
  constructor(
    private readonly conn: Connection<ChatContract, ChatUser>,
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

  /** Credentials refreshed: a new account name replaces the nick; the same name leaves it (and a rename) alone. */
  @OnReauth() reauth(user: ChatUser): void {
    if (user.name === this.nick.accountName) return;
    this.nick.value = this.nick.accountName = user.name;
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
  /** The tokens' HMAC key; default `CHAT_SECRET`, else random per process (samples/chat-auth.ts). */
  tokenSecret?: string | Buffer;
  /** Token lifetime in seconds; default `CHAT_TOKEN_TTL`, else 300. */
  tokenTtlSeconds?: number;
}

/** The chat app (WebSocket only); `startChat` adds the page. */
export function createChatApp(options: ChatAppOptions = {}): App {
  const { redisUrl, redisPrefix, tokenSecret, tokenTtlSeconds, ...rest } = options;
  const tokens = new ChatTokens({ secret: tokenSecret, ttlSeconds: tokenTtlSeconds }); // before the broker: a bad TTL throws
  const broker = redisUrl ? new RedisBroker({ url: redisUrl, prefix: redisPrefix }) : undefined;
  const app = createApp({ ...rest, gateways: [ChatGateway], broker });
  // One history and one token service per app (a @singleton would be shared by every app of the process).
  app.container.registerInstance(ChatHistory, new ChatHistory());
  app.container.registerInstance(ChatTokens, tokens);
  return app;
}

/** Starts the chat sample: the page at `/`, tokens at `/token`, the built client under `/wsgate/`, rooms at `/chat/<room>`. */
export async function startChat(
  port = 8891,
  host?: string,
  options: ChatAppOptions = {},
): Promise<{ app: App; server: Server; address: AddressInfo; stop(): Promise<void> }> {
  const app = createChatApp(options);
  const tokens = app.container.resolve(ChatTokens);
  const server = createServer((req, res) => {
    if (!serveChatFiles(req, res, tokens)) app.handleRequest(req, res);
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
