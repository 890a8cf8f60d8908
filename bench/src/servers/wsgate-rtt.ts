/**
 * wsgate contract gateway: the `add` request declared with its zod schemas (request and reply),
 * `@OnMessage(contract, 'add')` returning the reply; wsgate parses the envelope, validates the
 * data through the schema's Standard Schema interface and sends `{ id, data }`. Gateway options
 * are the defaults (replies are not validated unless `validateOutgoing` is set).
 */
import 'reflect-metadata';
import { HOST, serve } from '../common/harness';
import { add, AddReply, AddRequest, RTT_PATH } from '../common/rtt';
import { Connection, createApp, defineContract, Gateway, OnMessage, type In, type Out } from '../common/wsgate';

const calculator = defineContract({
  client: {
    add: { data: AddRequest, reply: AddReply },
  },
});

@Gateway(RTT_PATH, { contract: calculator })
class CalculatorGateway {
  constructor(readonly conn: Connection<typeof calculator>) {}

  @OnMessage(calculator, 'add')
  add(request: In<typeof calculator, 'add'>): Out<typeof calculator, 'add'> {
    return add(request);
  }
}

void serve('wsgate-rtt', async () => {
  const app = createApp({ gateways: [CalculatorGateway] });
  const address = await app.listen(0, HOST);
  return { port: address.port, close: () => app.close() };
});
