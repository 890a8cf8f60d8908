/**
 * `handshakeRateLimit` with a `RateLimiterRedis` store on the shared Redis at 127.0.0.1:6379: two
 * apps ("nodes"), each with its own Redis connection and its own limiter on one key prefix, spend
 * one budget. The prefix is unique per run and its keys are deleted afterwards.
 */
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { createClient } from 'redis';
import { Gateway, OnMessage, OnOpen } from '../../src';
import { startApp } from '../helpers/app';
import { onCleanup } from '../helpers/cleanup';
import { rawRequest, upgradeHeaders } from '../helpers/http';
import { SHARED_REDIS_URL, uniquePrefix } from './helpers/redis';

/** A connected node-redis client, closed after the test. */
async function redisClient() {
  const client = createClient({ url: SHARED_REDIS_URL });
  await client.connect();
  onCleanup(() => client.close());
  return client;
}

/** One node's gateway: its own class, the same path, a limiter of its own on the shared key prefix. */
async function node(keyPrefix: string) {
  const store = new RateLimiterRedis({
    storeClient: await redisClient(),
    useRedisPackage: true,
    rejectIfRedisNotReady: true,
    keyPrefix,
    points: 10,
    duration: 60,
  });
  const seen = { built: 0, opened: 0 };
  @Gateway('/shared', { handshakeRateLimit: { store } })
  class SharedBudgetGateway {
    constructor() {
      seen.built++;
    }
    @OnOpen() open(): void {
      seen.opened++;
    }
    @OnMessage() m(): void {}
  }
  const app = await startApp([SharedBudgetGateway]);
  return { ...app, seen };
}

test('two apps with their own RateLimiterRedis on one key prefix share its 10 points: the 11th handshake overall gets 429', async () => {
  const keyPrefix = uniquePrefix().replace(/:$/, '');
  const admin = await redisClient();
  onCleanup(async () => {
    const keys = await admin.keys(`${keyPrefix}*`);
    if (keys.length > 0) await admin.del(keys);
  });
  const a = await node(keyPrefix);
  const b = await node(keyPrefix);

  const statuses: number[] = [];
  for (let i = 0; i < 10; i++) statuses.push((await rawRequest((i % 3 === 0 ? b : a).port, '/shared', upgradeHeaders())).status);
  expect(statuses).toEqual(new Array(10).fill(101));

  for (const app of [a, b]) {
    const refused = await rawRequest(app.port, '/shared', upgradeHeaders());
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  }
  expect(a.seen.built + b.seen.built).toBe(10);
  expect(a.seen.built).toBe(6);
  expect(a.logger.errors).toEqual([]);
  expect(b.logger.errors).toEqual([]);
  // The budget lives in Redis under the shared prefix (one key: both nodes count 127.0.0.1).
  expect(await admin.keys(`${keyPrefix}*`)).toHaveLength(1);
});
