/**
 * A contract gateway in its own process, for tests that kill the server and start it again:
 * `node -r ./test/scripts/register-ts.js test/scripts/contract-server.ts PORT`. Prints
 * `listening PORT` once it serves. A `say` with text "hold" is never answered.
 */
import 'reflect-metadata';
import { createApp, Gateway, OnMessage, type In, type Out } from '../../src';
import { chat } from '../client/typed/contract';

@Gateway('/chat', { contract: chat })
class ProcessChatGateway {
  @OnMessage(chat, 'say') say({ text }: In<typeof chat, 'say'>): Promise<Out<typeof chat, 'say'>> | Out<typeof chat, 'say'> {
    if (text === 'hold') return new Promise(() => undefined);
    return { id: `${process.pid}:${text}` };
  }
  @OnMessage(chat, 'typing') typing(): void {}
  @OnMessage(chat, 'note') note(): void {}
  @OnMessage(chat, 'count') async *count(): AsyncIterable<number> {}
  @OnMessage(chat, 'ping') ping(): Out<typeof chat, 'ping'> {
    return 'pong';
  }
}

const app = createApp({ gateways: [ProcessChatGateway], logger: { error: () => undefined, warn: () => undefined } });
app.listen(Number(process.argv[2]), '127.0.0.1').then(
  ({ port }) => console.log(`listening ${port}`),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
