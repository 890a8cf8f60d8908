/**
 * A chat room without a broker: a @singleton() registry of rooms, a per-connection nickname
 * service, and awaited writes to every member (flow control: a slow member slows its room's
 * sender instead of growing memory). For rooms across processes see samples/chat.ts (Hub).
 *
 * Run: npm run build && node dist/samples/chat-room.js  →  ws://localhost:8890/chat/<room>
 */
import 'reflect-metadata';
import { Lifecycle, scoped, singleton } from 'tsyringe';
import { Connection, createApp, Gateway, OnClose, OnMessage, OnOpen } from '../src';

/** Who is in which room; shared by every connection. */
@singleton()
export class RoomRegistry {
  private readonly rooms = new Map<string, Set<Connection>>();

  join(room: string, conn: Connection): void {
    const members = this.rooms.get(room) ?? new Set<Connection>();
    members.add(conn);
    this.rooms.set(room, members);
  }

  leave(room: string, conn: Connection): void {
    const members = this.rooms.get(room);
    members?.delete(conn);
    if (members?.size === 0) this.rooms.delete(room);
  }

  members(room: string): Connection[] {
    return [...(this.rooms.get(room) ?? [])];
  }
}

let guests = 0;

/** One per connection: the member's nickname. */
@scoped(Lifecycle.ContainerScoped)
export class Nickname {
  value = `guest-${++guests}`;
}

@Gateway('/chat/:room')
export class ChatRoomGateway {
  private room = '';

  constructor(
    private readonly conn: Connection,
    private readonly rooms: RoomRegistry,
    private readonly nick: Nickname,
  ) {}

  @OnOpen() open(room: string): Promise<void> {
    this.room = room;
    this.rooms.join(room, this.conn);
    return this.broadcast({ type: 'joined', nick: this.nick.value });
  }

  @OnMessage() async say(text: string): Promise<void> {
    if (text.startsWith('/nick ')) {
      this.nick.value = text.slice(6).trim() || this.nick.value;
      return this.conn.writeMessage({ type: 'nick', nick: this.nick.value });
    }
    await this.broadcast({ type: 'message', nick: this.nick.value, text });
  }

  @OnClose() onClose(): Promise<void> {
    this.rooms.leave(this.room, this.conn);
    return this.broadcast({ type: 'left', nick: this.nick.value });
  }

  /** Writes to every open member and waits for every flush; a member that went away is skipped. */
  private async broadcast(message: object): Promise<void> {
    const writes = this.rooms.members(this.room).filter((m) => m.isOpen).map((m) => m.writeMessage(message));
    await Promise.allSettled(writes);
  }
}

if (require.main === module) {
  const port = Number(process.env.PORT ?? 8890);
  const app = createApp({ gateways: [ChatRoomGateway] });
  app.listen(port, process.env.HOST).then(
    (address) => console.log(`wsgate chat rooms: ws://localhost:${address.port}/chat/<room>`),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
  // Graceful shutdown: every member gets 1001 Going Away, @OnClose runs, then the server closes.
  const shutdown = (): void => void app.close().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
