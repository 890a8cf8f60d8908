/**
 * `wsgate/redis`: the Redis broker. Kept out of the package root so that apps without Redis
 * never load the optional `redis` peer dependency.
 * @module
 */
export { RedisBroker } from './topics/brokers/redis-broker';
export type { RedisBrokerOptions } from './topics/brokers/redis-broker';
