/**
 * wsgate fan-out. GET /publish on the control port sends one 64-byte text message to every
 * connection of the gateway:
 *   - `wsgate-fanout`: a loop of conn.writeMessage() over the connections a @singleton registry
 *     keeps (@OnOpen adds, @OnClose removes), awaiting every write's flush;
 *   - `wsgate-hub` (argument `hub`): every connection subscribes to one topic in @OnOpen and the
 *     publish is one `hub.publish(topic, message)`; flushUs waits until no connection has unflushed bytes.
 * Answers how long the synchronous part took (loopUs) and when it was all flushed (flushUs).
 */
import 'reflect-metadata';
import { Lifecycle, scoped, singleton } from 'tsyringe';
import { ECHO_PATH, FANOUT_MESSAGE, HOST, microsSince, serve } from '../common/harness';
import * as wsgate from '../common/wsgate';
import { Connection, createApp, Gateway, OnClose, OnMessage, OnOpen } from '../common/wsgate';

const useHub = process.argv.includes('hub');
const TOPIC = 'bench';

interface HubLike {
  publish(topic: string, message: unknown): Promise<void>;
}
interface Subscriber {
  subscribe(topic: string): Promise<void>;
}
const Hub = (wsgate as unknown as { Hub?: new (...args: any[]) => HubLike }).Hub;
if (useHub && !Hub) {
  console.error('wsgate-fanout hub: this build of wsgate exports no Hub');
  process.exit(2);
}

@singleton()
class Registry {
  readonly connections = new Set<Connection>();
}

@scoped(Lifecycle.ContainerScoped)
class Subscription {
  constructor(private readonly conn: Connection) {}
  start(): void {
    if (useHub) void (this.conn as unknown as Subscriber).subscribe(TOPIC);
  }
}

@Gateway(ECHO_PATH)
class FanoutGateway {
  constructor(
    private readonly conn: Connection,
    private readonly registry: Registry,
    private readonly subscription: Subscription,
  ) {}

  @OnOpen() open(): void {
    this.registry.connections.add(this.conn);
    this.subscription.start();
  }

  @OnMessage() onMessage(): void {}

  @OnClose() onClose(): void {
    this.registry.connections.delete(this.conn);
  }
}

/** Whether some connection still has bytes that have not reached the kernel. */
function hasUnflushed(connections: Iterable<Connection>): boolean {
  for (const conn of connections) if (conn.bufferedAmount > 0) return true;
  return false;
}

let publish: () => Promise<Record<string, number>>;

void serve(
  useHub ? 'wsgate-hub' : 'wsgate-fanout',
  async () => {
    const app = createApp({ gateways: [FanoutGateway] });
    const registry = app.container.resolve(Registry);
    if (useHub) {
      const hub = app.container.resolve(Hub!);
      publish = async () => {
        const recipients = registry.connections.size;
        const start = process.hrtime.bigint();
        const done = hub.publish(TOPIC, FANOUT_MESSAGE);
        const loopUs = microsSince(start);
        await done; // the broker took it; hub.publish does not wait for the subscribers' flush:
        while (hasUnflushed(registry.connections)) await new Promise((resolve) => setImmediate(resolve));
        return { recipients, loopUs, flushUs: microsSince(start) };
      };
    } else {
      publish = async () => {
        const start = process.hrtime.bigint();
        const writes: Promise<void>[] = [];
        for (const conn of registry.connections) writes.push(conn.writeMessage(FANOUT_MESSAGE));
        const loopUs = microsSince(start);
        await Promise.all(writes);
        return { recipients: writes.length, loopUs, flushUs: microsSince(start) };
      };
    }
    const address = await app.listen(0, HOST);
    return { port: address.port, close: () => app.close() };
  },
  { publish: () => publish() },
);
