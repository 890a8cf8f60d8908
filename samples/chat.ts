/**
 * Chat rooms on topics (docs/behaviour.md#topics): every member of `/chat/<room>` subscribes to `room:<room>`,
 * and what one member says is published to the others through the app's Hub. With `REDIS_URL`
 * set, rooms span every process started that way (RedisBroker); without it, one process
 * (MemoryBroker).
 *
 * Run twice, then talk from one port to the other:
 *   REDIS_URL=redis://127.0.0.1:6379 PORT=8891 npm run start:chat
 *   REDIS_URL=redis://127.0.0.1:6379 PORT=8892 node dist/samples/chat.js
 */
import 'reflect-metadata';
import { Lifecycle, scoped } from 'tsyringe';
import { Connection, createApp, Gateway, Hub, OnClose, OnMessage, OnOpen, type App, type AppOptions } from '../src';
import { RedisBroker } from '../src/redis';

let guests = 0;

/** One per connection: the member's nickname. */
@scoped(Lifecycle.ContainerScoped)
export class ChatNickname {
  value = `guest-${process.pid}-${++guests}`;
}

@Gateway('/chat/:room')
export class ChatGateway {
  constructor(
    private readonly conn: Connection,
    private readonly hub: Hub,
    private readonly nick: ChatNickname,
  ) {}

  private get topic(): string {
    return `room:${this.conn.params.room}`;
  }

  @OnOpen() async open(): Promise<void> {
    await this.conn.subscribe(this.topic); // messages from every node arrive from now on
    await this.conn.writeMessage({ type: 'welcome', nick: this.nick.value });
    await this.hub.publish(this.topic, { type: 'joined', nick: this.nick.value }, { except: this.conn });
  }

  @OnMessage() async say(text: string): Promise<void> {
    if (text.startsWith('/nick ')) {
      this.nick.value = text.slice(6).trim() || this.nick.value;
      return this.conn.writeMessage({ type: 'nick', nick: this.nick.value });
    }
    try {
      await this.hub.publish(this.topic, { type: 'message', nick: this.nick.value, text }, { except: this.conn });
    } catch {
      // The broker is down: members on this node got it, the other nodes did not.
      await this.conn.writeMessage({ type: 'error', text: 'not delivered to other servers; try again' });
    }
  }

  @OnClose() onClose(): void {
    this.hub.publish(this.topic, { type: 'left', nick: this.nick.value }).catch(() => undefined);
  }
}

/** The chat app; `redisUrl` selects RedisBroker (rooms across processes), otherwise MemoryBroker. */
export function createChatApp(options: { redisUrl?: string; redisPrefix?: string } & Partial<AppOptions> = {}): App {
  const { redisUrl, redisPrefix, ...rest } = options;
  const broker = redisUrl ? new RedisBroker({ url: redisUrl, prefix: redisPrefix }) : undefined;
  return createApp({ ...rest, gateways: [ChatGateway], broker });
}

if (require.main === module) {
  const port = Number(process.env.PORT ?? 8891);
  const app = createChatApp({ redisUrl: process.env.REDIS_URL });
  app.listen(port, process.env.HOST).then(
    (address) => console.log(`wsgate chat: ws://localhost:${address.port}/chat/<room> (${process.env.REDIS_URL ? `Redis ${process.env.REDIS_URL}` : 'this process only'})`),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
  const shutdown = (): void => void app.close().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
