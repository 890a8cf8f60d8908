/**
 * IP addresses and address lists: the normal form wsgate compares addresses in, an IPv6 address's
 * /64 prefix, and lists of addresses and CIDR ranges (`trustProxy`) compiled into a `net.BlockList`.
 * @module
 */
import { BlockList, isIP, isIPv4 } from 'node:net';
import { GatewayDefinitionError } from '../errors';

/** The named ranges Express's `trust proxy` accepts, as CIDRs. */
const NAMED_RANGES: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/**
 * An IP address in the form wsgate compares it: the zone (`%eth0`) dropped and an IPv4-mapped IPv6
 * address (`::ffff:1.2.3.4`, how dual-stack sockets report IPv4 peers) written as the IPv4 address.
 * `undefined` when `address` is not an IP address.
 */
export function normalizeIp(address: string): string | undefined {
  const zone = address.indexOf('%');
  const ip = zone === -1 ? address : address.slice(0, zone);
  const family = isIP(ip);
  if (family === 4) return ip;
  if (family !== 6) return undefined;
  const groups = expandIPv6(ip);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `${groups[6] >> 8}.${groups[6] & 0xff}.${groups[7] >> 8}.${groups[7] & 0xff}`;
  }
  return ip.toLowerCase();
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a trailing dotted IPv4 part read as two groups). */
export function expandIPv6(ip: string): number[] {
  const toGroups = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const piece of part.split(':')) {
      if (piece.includes('.')) {
        const [a, b, c, d] = piece.split('.').map(Number);
        out.push((a << 8) | b, (c << 8) | d);
      } else out.push(parseInt(piece, 16));
    }
    return out;
  };
  const gap = ip.indexOf('::');
  if (gap === -1) return toGroups(ip);
  const head = toGroups(ip.slice(0, gap));
  const tail = toGroups(ip.slice(gap + 2));
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/**
 * What a rate limit counts an address as: an IPv4 address (IPv4-mapped ones included) as itself,
 * an IPv6 address as its /64 prefix (`2001:db8:1:2::/64`: one subscriber's network, since a
 * single host commonly holds a whole /64). Anything that is not an IP address is returned unchanged.
 */
export function addressKey(address: string): string {
  const ip = normalizeIp(address);
  if (ip === undefined) return address;
  if (isIPv4(ip)) return ip;
  return `${expandIPv6(ip).slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

/** `a.b.c.d` netmask → prefix length; `undefined` when it is not a contiguous mask. */
function maskToPrefix(mask: string): number | undefined {
  if (!isIPv4(mask)) return undefined;
  const bits = mask.split('.').map((o) => Number(o).toString(2).padStart(8, '0')).join('');
  return /^1*0*$/.test(bits) ? bits.indexOf('0') === -1 ? 32 : bits.indexOf('0') : undefined;
}

/** Adds one entry (an address, `addr/prefix`, `a.b.c.d/netmask` or a named range) to `list`; throws what is wrong with it. */
function addEntry(list: BlockList, entry: string, describe: (problem: string) => GatewayDefinitionError): void {
  const named = NAMED_RANGES[entry];
  if (named) {
    for (const cidr of named) addEntry(list, cidr, describe);
    return;
  }
  const slash = entry.indexOf('/');
  const address = slash === -1 ? entry : entry.slice(0, slash);
  const family = address.includes('%') ? 0 : isIP(address);
  if (family === 0) throw describe('is not an IP address, a CIDR range (address/prefix) or one of loopback, linklocal, uniquelocal');
  if (slash === -1) {
    list.addAddress(address, family === 4 ? 'ipv4' : 'ipv6');
    return;
  }
  const bits = entry.slice(slash + 1);
  const max = family === 4 ? 32 : 128;
  const prefix = /^\d{1,3}$/.test(bits) ? Number(bits) : family === 4 ? maskToPrefix(bits) : undefined;
  if (prefix === undefined || prefix > max) throw describe(`has an invalid prefix length (expected 0–${max}${family === 4 ? ' or a netmask' : ''})`);
  const mapped = family === 6 ? normalizeIp(address) : undefined;
  // An IPv4-mapped range (::ffff:10.0.0.0/104) is the IPv4 range it maps, as addresses are compared in that form.
  if (mapped !== undefined && isIPv4(mapped) && prefix >= 96) list.addSubnet(mapped, prefix - 96, 'ipv4');
  else list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Compiles a list of addresses and ranges (IPv4 and IPv6, `10.0.0.0/8`, `fd00::/8`, `10.0.0.0/255.0.0.0`,
 * `loopback`, `linklocal`, `uniquelocal`) into a test. Throws `GatewayDefinitionError` naming the
 * first entry that is none of these.
 */
export function compileAddressList(owner: string, option: string, entries: readonly unknown[]): (address: string) => boolean {
  const list = new BlockList();
  for (const entry of entries) {
    const describe = (problem: string) => new GatewayDefinitionError(`${owner}: ${option}: ${JSON.stringify(entry)} ${problem}`);
    if (typeof entry !== 'string') throw describe('is not a string');
    addEntry(list, entry.trim(), describe);
  }
  return (address) => {
    const ip = normalizeIp(address);
    if (ip === undefined) return false;
    return list.check(ip, isIPv4(ip) ? 'ipv4' : 'ipv6');
  };
}
