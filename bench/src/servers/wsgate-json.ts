/**
 * wsgate JSON echo: @OnMessage parses the text and returns the object, which wsgate's
 * writeMessage sends back as JSON (JSON.stringify). A per-connection
 * @scoped(Lifecycle.ContainerScoped) service is injected so DI is on the path.
 */
import 'reflect-metadata';
import { Lifecycle, scoped } from 'tsyringe';
import { ECHO_PATH, HOST, serve } from '../common/harness';
import { Connection, createApp, Gateway, OnMessage } from '../common/wsgate';

@scoped(Lifecycle.ContainerScoped)
class EchoService {
  messages = 0;
  echo<T>(message: T): T {
    this.messages++;
    return message;
  }
}

@Gateway(ECHO_PATH)
class JsonEchoGateway {
  constructor(
    readonly conn: Connection,
    private readonly service: EchoService,
  ) {}

  @OnMessage()
  onMessage(message: string): unknown {
    return this.service.echo(JSON.parse(message) as unknown);
  }
}

void serve('wsgate-json', async () => {
  const app = createApp({ gateways: [JsonEchoGateway] });
  const address = await app.listen(0, HOST);
  return { port: address.port, close: () => app.close() };
});
