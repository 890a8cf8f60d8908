/**
 * `node bench/build/check-promises.js`: does a contract gateway allocate promises per request when
 * its schema is synchronous? Counts the promises created in the process (async_hooks, type
 * PROMISE) while N pipelined `add` requests go through a wsgate contract gateway and back, in the
 * same process: once with the zod schema (its `~standard.validate` answers synchronously), once
 * with the same schema behind a Standard Schema wrapper whose `validate` returns a promise (the
 * control: it shows the counter sees the promises an async schema costs). The client side uses
 * callbacks only, so what it counts is the server's.
 */
import 'reflect-metadata';
import { createHook } from 'node:async_hooks';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { WebSocket } from 'ws';
import { HOST } from './common/harness';
import { add, AddReply, AddRequest, RTT_PATH } from './common/rtt';
import { createApp, defineContract, Gateway, OnMessage, type Schema } from './common/wsgate';

const REQUESTS = Number(process.argv[2] ?? 20_000);
const INFLIGHT = 64;

let promises = 0;
createHook({
  init(_id, type) {
    if (type === 'PROMISE') promises++;
  },
}).enable();

/** The zod schema behind a validate() that returns a promise. */
function asAsync(schema: StandardSchemaV1): StandardSchemaV1 {
  return { '~standard': { ...schema['~standard'], validate: (value: unknown) => Promise.resolve(schema['~standard'].validate(value)) } };
}

async function measure(label: string, data: Schema): Promise<void> {
  const contract = defineContract({ client: { add: { data, reply: AddReply } } });
  @Gateway(RTT_PATH, { contract })
  class CalculatorGateway {
    @OnMessage(contract, 'add')
    add(request: unknown): AddReply {
      return add(request as AddRequest);
    }
  }
  const app = createApp({ gateways: [CalculatorGateway] });
  const { port } = await app.listen(0, HOST);
  const ws = new WebSocket(`ws://${HOST}:${port}${RTT_PATH}`, ['wsgate.v1']);
  await new Promise((resolve) => ws.once('open', resolve));
  const before = await new Promise<number>((resolve) => {
    let sent = 0;
    let received = 0;
    let start = 0;
    const send = (): void => {
      sent++;
      ws.send(`{"type":"add","id":${sent},"data":{"a":${sent % 1000},"b":7,"note":"round trip"}}`);
    };
    ws.on('message', (text: Buffer) => {
      const reply = JSON.parse(text.toString()) as { id: number; data: { sum: number } };
      if (reply.data?.sum !== (reply.id % 1000) + 7) throw new Error(`bad reply ${text.toString()}`);
      if (++received === REQUESTS) return resolve(start);
      if (sent < REQUESTS) send();
    });
    start = promises;
    for (let i = 0; i < INFLIGHT; i++) send();
  });
  const during = promises - before;
  ws.close();
  await app.close();
  process.stdout.write(`${label}: ${during} promises for ${REQUESTS} requests (${(during / REQUESTS).toFixed(3)} per request)\n`);
}

void (async () => {
  await measure('zod schema (synchronous ~standard.validate)', AddRequest);
  await measure('the same schema, validate() returning a promise (control)', asAsync(AddRequest));
})();
