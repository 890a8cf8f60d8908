/**
 * Opening a typed client over a given transport: shared by the Node and browser `connect`.
 * No imports but relative ones.
 * @module
 */
import type { Contract } from '../contract';
import { resolveClientOptions, type TypedClientOptions } from './options';
import type { TransportFactory } from './transport';
import { ContractClient } from './typed-client';

/**
 * Resolves once the first connection is open. Rejects when the client stops before: at once when
 * the first attempt fails without `reconnect`; with `reconnect`, only on a close that ends it
 * (1008, 4403, a refused token) — until then it keeps trying — or when `options.signal` aborts
 * (with its reason; the client is then closed).
 */
export async function openClient<C extends Contract>(
  contract: C,
  url: string | URL,
  options: TypedClientOptions | undefined,
  factory: TransportFactory,
): Promise<ContractClient<C>> {
  if (typeof contract !== 'object' || contract === null || typeof contract.client !== 'object') {
    throw new TypeError('connect: the first argument must be a contract made by defineContract');
  }
  const resolved = resolveClientOptions(options);
  const signal = options?.signal;
  if (signal?.aborted) throw signal.reason;
  const client = new ContractClient(contract, String(url), resolved, factory);
  if (!signal) {
    await client.ready;
    return client;
  }
  const giveUp = (): void => void client.close();
  signal.addEventListener('abort', giveUp, { once: true });
  try {
    await client.ready;
  } catch (err) {
    throw signal.aborted ? signal.reason : err;
  } finally {
    signal.removeEventListener('abort', giveUp);
  }
  return client;
}
