/**
 * `trustProxy`: the client's address read through X-Forwarded-For / Forwarded (hop counts and
 * address lists, as Express does), the address forms proxies write, malformed headers, the
 * createApp validation, and the /64 key of IPv6 addresses.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Connection, createApp, Gateway, GatewayDefinitionError, OnMessage, OnOpen, type TrustProxy } from '../../src';
import { addressKey, normalizeIp } from '../../src/auth/cidr';
import { clientAddress, compileTrustProxy } from '../../src/auth/client-address';
import { forwardedAddresses, parseForwarded, parseNode } from '../../src/auth/forwarded';
import { startApp } from '../helpers/app';
import { eventually } from '../helpers/eventually';
import { rawRequest, upgradeHeaders } from '../helpers/http';

/** The client address for a socket peer and headers under a `trustProxy` option. */
function resolve(option: TrustProxy, socket: string, headers: IncomingHttpHeaders): string | undefined {
  const trust = compileTrustProxy('test', option);
  return trust ? clientAddress(socket, headers, trust) : socket;
}

describe('the address forms proxies write', () => {
  it.each([
    ['1.2.3.4', '1.2.3.4'],
    [' 1.2.3.4 ', '1.2.3.4'],
    ['1.2.3.4:5678', '1.2.3.4'],
    ['2001:db8::1', '2001:db8::1'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['[2001:db8::1]:4711', '2001:db8::1'],
    ['::ffff:10.0.0.1', '::ffff:10.0.0.1'],
    ['fe80::1%eth0', 'fe80::1%eth0'],
  ])('%j is the address %j', (node, address) => {
    expect(parseNode(node)).toBe(address);
  });

  it.each(['unknown', '_hidden', '', 'example.com', '1.2.3', '1.2.3.4:port', '[2001:db8::1', '[1.2.3.4]', '[::1]x', '2001:db8::1:80:zz', '999.1.1.1'])(
    '%j is no address',
    (node) => {
      expect(parseNode(node)).toBeUndefined();
    },
  );

  it('reads for= from each Forwarded element: case-insensitive names, quoted and bracketed IPv6 with ports, other parameters ignored', () => {
    expect(parseForwarded('for=192.0.2.60;proto=http;by=203.0.113.43, For="[2001:db8:cafe::17]:4711", by=10.0.0.1;for=198.51.100.17')).toEqual([
      '192.0.2.60',
      '2001:db8:cafe::17',
      '198.51.100.17',
    ]);
    expect(parseForwarded('for="_gazonk", proto=https')).toEqual([undefined, undefined]);
    expect(parseForwarded('for="10.0.0.1, 10.0.0.2"')).toEqual([undefined]); // a comma inside quotes does not split
    expect(parseForwarded('for="10.0.0.1')).toEqual([undefined]); // unterminated quote
  });

  it('prefers X-Forwarded-For to Forwarded; neither header: undefined', () => {
    expect(forwardedAddresses({ 'x-forwarded-for': '1.1.1.1, 2.2.2.2', forwarded: 'for=3.3.3.3' })).toEqual(['1.1.1.1', '2.2.2.2']);
    expect(forwardedAddresses({ forwarded: 'for=3.3.3.3' })).toEqual(['3.3.3.3']);
    expect(forwardedAddresses({})).toBeUndefined();
  });
});

describe('the client address behind trustProxy', () => {
  const xff = (value: string): IncomingHttpHeaders => ({ 'x-forwarded-for': value });

  it('false or 0 ignores the headers', () => {
    expect(resolve(false, '10.0.0.9', xff('1.1.1.1'))).toBe('10.0.0.9');
    expect(resolve(0, '10.0.0.9', xff('1.1.1.1'))).toBe('10.0.0.9');
  });

  it('a hop count trusts that many nodes from the socket leftwards', () => {
    const headers = xff('6.6.6.6, 1.1.1.1, 2.2.2.2');
    expect(resolve(1, '10.0.0.9', headers)).toBe('2.2.2.2');
    expect(resolve(2, '10.0.0.9', headers)).toBe('1.1.1.1');
    expect(resolve(3, '10.0.0.9', headers)).toBe('6.6.6.6');
    expect(resolve(9, '10.0.0.9', headers)).toBe('6.6.6.6'); // all trusted: the leftmost
  });

  it('a peer without an address (a Unix socket) is trusted by a hop count, never by an address list', () => {
    const headers = xff('1.1.1.1');
    expect(clientAddress(undefined, headers, compileTrustProxy('test', 1)!)).toBe('1.1.1.1');
    expect(clientAddress(undefined, headers, compileTrustProxy('test', ['0.0.0.0/0', '::/0'])!)).toBeUndefined();
    expect(clientAddress(undefined, xff('junk'), compileTrustProxy('test', 1)!)).toBeUndefined();
  });

  it('without a forwarding header the socket address stays', () => {
    expect(resolve(1, '10.0.0.9', {})).toBe('10.0.0.9');
  });

  it('an address list trusts the listed proxies only: the first untrusted address from the right', () => {
    const proxies = ['10.0.0.0/8', '2001:db8:ffff::/48', '192.168.1.1'];
    expect(resolve(proxies, '10.0.0.9', xff('6.6.6.6, 1.1.1.1, 10.2.3.4'))).toBe('1.1.1.1');
    expect(resolve(proxies, '2001:db8:ffff::5', xff('1.1.1.1, 192.168.1.1'))).toBe('1.1.1.1');
    expect(resolve(proxies, '192.168.1.2', xff('1.1.1.1'))).toBe('192.168.1.2'); // the peer is no trusted proxy
    expect(resolve(proxies, '::ffff:10.0.0.9', xff('1.1.1.1'))).toBe('1.1.1.1'); // an IPv4-mapped peer is its IPv4 address
    expect(resolve(proxies, '10.0.0.9', xff('10.1.1.1, 10.2.2.2'))).toBe('10.1.1.1');
  });

  it('netmasks, named ranges and IPv4-mapped IPv6 ranges', () => {
    expect(resolve(['10.0.0.0/255.0.0.0'], '10.9.9.9', xff('1.1.1.1'))).toBe('1.1.1.1');
    expect(resolve(['loopback'], '127.0.0.1', xff('1.1.1.1'))).toBe('1.1.1.1');
    expect(resolve(['loopback'], '::1', xff('1.1.1.1'))).toBe('1.1.1.1');
    expect(resolve(['uniquelocal'], '172.20.0.1', xff('1.1.1.1'))).toBe('1.1.1.1');
    expect(resolve(['uniquelocal'], '172.32.0.1', xff('1.1.1.1'))).toBe('172.32.0.1');
    expect(resolve(['::ffff:10.0.0.0/104'], '10.1.1.1', xff('1.1.1.1'))).toBe('1.1.1.1');
  });

  it('reads Forwarded: for= when there is no X-Forwarded-For, IPv6 brackets and ports included', () => {
    expect(resolve(1, '10.0.0.9', { forwarded: 'for=6.6.6.6, for="[2001:db8::7]:4711";proto=https' })).toBe('2001:db8::7');
    expect(resolve(2, '10.0.0.9', { forwarded: 'for=6.6.6.6:80, for="[2001:db8::7]:4711"' })).toBe('6.6.6.6');
  });

  it('falls back to the socket address when the deciding entry is malformed, and never throws', () => {
    expect(resolve(1, '10.0.0.9', xff('1.1.1.1, garbage'))).toBe('10.0.0.9');
    expect(resolve(1, '10.0.0.9', xff(''))).toBe('10.0.0.9');
    expect(resolve(1, '10.0.0.9', xff(',,,'))).toBe('10.0.0.9');
    expect(resolve(1, '10.0.0.9', { forwarded: 'for="unterminated' })).toBe('10.0.0.9');
    expect(resolve(1, '10.0.0.9', { forwarded: 'proto=https' })).toBe('10.0.0.9');
    expect(resolve(1, '10.0.0.9', { forwarded: 'for=unknown' })).toBe('10.0.0.9');
    // Garbage left of the client is never read.
    expect(resolve(1, '10.0.0.9', xff('garbage, 1.1.1.1'))).toBe('1.1.1.1');
    for (const junk of ['\u0000', '[', ']', '"', ';;;', 'for=', '=,=', '[]:', '::::::::::', 'a'.repeat(10000)]) {
      expect(() => resolve(3, '10.0.0.9', xff(junk))).not.toThrow();
      expect(() => resolve(3, '10.0.0.9', { forwarded: junk })).not.toThrow();
    }
  });
});

describe('trustProxy validation at createApp', () => {
  @Gateway('/v')
  class V {
    @OnMessage() m(): void {}
  }

  it.each([
    [[ '10.0.0.0/33' ], /"10\.0\.0\.0\/33" has an invalid prefix length \(expected 0–32/],
    [[ '2001:db8::/129' ], /"2001:db8::\/129" has an invalid prefix length \(expected 0–128/],
    [[ 'proxy.internal' ], /"proxy\.internal" is not an IP address, a CIDR range/],
    [[ '10.0.0.0/255.0.255.0' ], /invalid prefix length/],
    [[ '10.0.0.0/' ], /invalid prefix length/],
    [[ 42 ], /42 is not a string/],
    [-1, /trustProxy must be false, a hop count \(an integer ≥ 0\)/],
    [1.5, /trustProxy must be false, a hop count/],
    [true, /true \(trusting every proxy lets any client choose its address/],
    ['10.0.0.0/8', /trustProxy must be false, a hop count or a list/],
  ])('%j is refused', (option, message) => {
    expect(() => createApp({ gateways: [V], trustProxy: option as TrustProxy })).toThrow(GatewayDefinitionError);
    expect(() => createApp({ gateways: [V], trustProxy: option as TrustProxy })).toThrow(message);
  });

  it('accepts hop counts, false and lists of addresses, ranges and names', () => {
    for (const option of [false, 0, 2, [], ['10.0.0.1', '10.0.0.0/8', 'fd00::/8', '::1', 'loopback', 'linklocal', 'uniquelocal']] as TrustProxy[]) {
      expect(() => createApp({ gateways: [V], trustProxy: option })).not.toThrow();
    }
  });
});

describe('what a rate limit counts an address as', () => {
  it('an IPv6 address by its /64, whatever its notation', () => {
    expect(addressKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:DB8:1:2::ffff')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('64:ff9b::192.0.2.33')).toBe('64:ff9b:0:0::/64');
  });

  it('an IPv4 address, IPv4-mapped or not, as itself; anything else unchanged', () => {
    expect(addressKey('192.0.2.1')).toBe('192.0.2.1');
    expect(addressKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(addressKey('::ffff:c000:201')).toBe('192.0.2.1');
    expect(normalizeIp('::FFFF:192.0.2.1')).toBe('192.0.2.1');
    expect(addressKey('not an address')).toBe('not an address');
  });
});

describe('conn.request.remoteAddress over a real socket', () => {
  function addressGateway() {
    const seen: Array<string | undefined> = [];
    @Gateway('/addr')
    class AddressGateway {
      constructor(private readonly conn: Connection) {}
      @OnOpen() open(): void {
        seen.push(this.conn.request.remoteAddress);
      }
      @OnMessage() m(): void {}
    }
    return { gateway: AddressGateway, seen };
  }

  it('is the forwarded client behind trustProxy: 1, and the socket peer without it', async () => {
    const behind = addressGateway();
    const { port } = await startApp([behind.gateway], { trustProxy: 1 });
    expect((await rawRequest(port, '/addr', upgradeHeaders({ 'X-Forwarded-For': '6.6.6.6, 203.0.113.7' }))).status).toBe(101);
    await eventually(() => behind.seen.length === 1, '@OnOpen');
    expect(behind.seen).toEqual(['203.0.113.7']);

    const direct = addressGateway();
    const other = await startApp([direct.gateway]);
    expect((await rawRequest(other.port, '/addr', upgradeHeaders({ 'X-Forwarded-For': '203.0.113.7' }))).status).toBe(101);
    await eventually(() => direct.seen.length === 1, '@OnOpen');
    expect(direct.seen).toEqual(['127.0.0.1']);
  });
});
