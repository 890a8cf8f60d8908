/**
 * `trustProxy`: which peers are proxies whose forwarding headers are believed, and the client's
 * address read through them (as Express's `trust proxy` does, for hop counts and address lists).
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http';
import { GatewayDefinitionError } from '../errors';
import { compileAddressList } from './cidr';
import { forwardedAddresses } from './forwarded';

/**
 * Whether the node `hop` steps away from us is a trusted proxy: hop 0 is the socket's peer, hop 1
 * the last address it recorded in the forwarding header, and so on to the left.
 */
export type ProxyTrust = (address: string, hop: number) => boolean;

/**
 * Validates and compiles the app's `trustProxy` option; `undefined` when no proxy is trusted
 * (`false`, `0`, an empty list, or not given). Throws `GatewayDefinitionError` for anything else.
 */
export function compileTrustProxy(owner: string, option: unknown): ProxyTrust | undefined {
  if (option === undefined || option === false) return undefined;
  if (typeof option === 'number') {
    if (!Number.isInteger(option) || option < 0) {
      throw new GatewayDefinitionError(`${owner}: trustProxy must be false, a hop count (an integer ≥ 0) or a list of addresses and CIDR ranges, got ${option}`);
    }
    return option === 0 ? undefined : (_address, hop) => hop < option;
  }
  if (!Array.isArray(option)) {
    throw new GatewayDefinitionError(
      `${owner}: trustProxy must be false, a hop count or a list of addresses and CIDR ranges, got ${option === true ? 'true (trusting every proxy lets any client choose its address; give the hop count or the proxies\' addresses)' : typeof option}`,
    );
  }
  if (option.length === 0) return undefined;
  return compileAddressList(owner, 'trustProxy', option as unknown[]);
}

/**
 * The client's address: from the socket's peer leftwards through the forwarding header
 * (`X-Forwarded-For`, else `Forwarded: for=`), the first address that is not a trusted proxy (or
 * the leftmost one when all are). The socket's address when its peer is not trusted, when there is
 * no forwarding header, or when the entry that would decide is not an IP address (a malformed header).
 * A peer without an address (a Unix socket behind a local proxy) is trusted by a hop count only.
 */
export function clientAddress(socketAddress: string | undefined, headers: Readonly<IncomingHttpHeaders>, trust: ProxyTrust): string | undefined {
  if (!trust(socketAddress ?? '', 0)) return socketAddress;
  const hops = forwardedAddresses(headers);
  if (hops === undefined) return socketAddress;
  let client: string | undefined = socketAddress;
  for (let i = hops.length - 1, hop = 1; i >= 0; i--, hop++) {
    const address = hops[i];
    if (address === undefined) return socketAddress;
    client = address;
    if (!trust(address, hop)) break;
  }
  return client;
}
