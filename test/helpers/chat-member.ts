/**
 * A member of the chat sample (samples/chat.ts) on the typed client: logs in with `getToken`,
 * records every server event it gets, by type, and resolves waits on them (event-driven, no polling).
 */
import { get } from 'node:http';
import { connect, type ContractClient } from '../../src/client-entry';
import { chatContract, type ChatContract } from '../../samples/chat-contract';
import { onCleanup } from './cleanup';

type EventName = 'welcome' | 'message' | 'typing' | 'joined' | 'left';

export interface ChatMember {
  readonly c: ContractClient<ChatContract>;
  /** Every event so far, in arrival order, as `[type, data]`. */
  readonly seen: Array<[EventName, Record<string, unknown>]>;
  /** The data of events of `type` so far. */
  of(type: EventName): Array<Record<string, unknown>>;
  /** Resolves with the first event of `type` (already seen or still to come) that `match` accepts. */
  waitFor(type: EventName, match?: (data: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}

/** What `getToken` is: a token (or its promise) per connection attempt. */
export type GetToken = () => string | Promise<string>;

/** The sample's demo login: `GET <base>/token?name=<name>`, as the page does it; `{ status, body, headers }`. */
export function requestToken(base: string, name: string): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    get(`${base}/token?name=${encodeURIComponent(name)}`, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    }).on('error', reject);
  });
}

/** A `getToken` that logs in as `name` at the sample's HTTP server `base` (http://host:port) each time. */
export function loginAs(base: string, name: string): GetToken {
  return async () => {
    const { status, body } = await requestToken(base, name);
    if (status !== 200) throw new Error(`login as ${name}: ${status} ${body}`);
    return body;
  };
}

/** Joins the room at `url` on the typed client, with `getToken` giving its credentials. */
export async function joinChat(url: string, getToken: GetToken, options: Parameters<typeof connect>[2] = {}): Promise<ChatMember> {
  const c = await connect(chatContract, url, { ...options, getToken });
  onCleanup(() => c.close());
  const seen: ChatMember['seen'] = [];
  const waiters = new Set<{ type: EventName; match: (d: Record<string, unknown>) => boolean; resolve: (d: Record<string, unknown>) => void }>();
  // Listeners are added right after connect: the welcome from @OnOpen reaches them.
  for (const type of ['welcome', 'message', 'typing', 'joined', 'left'] as const) {
    c.on(type, (data: object) => {
      const d = data as Record<string, unknown>;
      seen.push([type, d]);
      for (const w of waiters) {
        if (w.type === type && w.match(d)) {
          waiters.delete(w);
          w.resolve(d);
        }
      }
    });
  }
  return {
    c,
    seen,
    of: (type) => seen.filter(([t]) => t === type).map(([, d]) => d),
    waitFor(type, match = () => true) {
      const found = seen.find(([t, d]) => t === type && match(d));
      if (found) return Promise.resolve(found[1]);
      return new Promise((resolve) => waiters.add({ type, match, resolve }));
    },
  };
}
