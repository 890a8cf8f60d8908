/**
 * wsgate text echo: a @Gateway whose @OnMessage returns the message it got (so wsgate sends it
 * back with writeMessage), through a per-connection @scoped(Lifecycle.ContainerScoped) service
 * injected next to the Connection, so the DI path is the one real gateways have.
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
class TextEchoGateway {
  constructor(
    readonly conn: Connection,
    private readonly service: EchoService,
  ) {}

  @OnMessage()
  onMessage(message: string | Buffer): string | Buffer {
    return this.service.echo(message);
  }
}

void serve('wsgate-text', async () => {
  const app = createApp({ gateways: [TextEchoGateway] });
  const address = await app.listen(0, HOST);
  return { port: address.port, close: () => app.close() };
});
