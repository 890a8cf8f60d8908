import { kAuth, kPubSub, kSession, noop } from '../constants';
import type { ConnectionAuth } from '../auth/connection-auth';
import type { GuardResult } from '../auth/guard';
import type { ContractDefinition, ServerData, ServerEventType, ServerReply, ServerRequestType } from '../protocol/contract';
import type { CallOptions } from '../protocol/pending-calls';
import type { ContractSession } from './contract/session';
import { WebSocketConnection } from '../connection/websocket-connection';
import { subscribe, topicsOf, unsubscribe, type PubSubLink, type Subscriber } from '../topics/registry';
import type { HandshakeRequest } from './handshake-request';

/**
 * One WebSocket connection on the server: what tornado's `WebSocketHandler` offers for output.
 * Injected into the gateway's constructor (one per connection).
 *
 * @example
 * ```ts
 * @Gateway('/websocket')
 * class EchoGateway {
 *   constructor(private readonly conn: Connection) {}
 *   @OnMessage() onMessage(m: string) { return this.conn.writeMessage(`You said: ${m}`); }
 * }
 * ```
 */
export class Connection<C extends ContractDefinition = ContractDefinition, P = unknown> extends WebSocketConnection implements Subscriber {
  /** @internal Built by the runtime for each upgrade request. */
  constructor(
    /**
     * The upgrade request (method, url, headers, remote address, TLS, query), as a snapshot taken at
     * the handshake. Mirrors tornado's `self.request`.
     */
    readonly request: HandshakeRequest,
    /** Path parameters by name (and by index for RegExp paths). Mirrors tornado's `path_args`. */
    readonly params: Readonly<Record<string, string>>,
  ) {
    super();
  }

  /** @internal Set by the runtime on gateways with guards: who the connection is and until when. */
  [kAuth]: ConnectionAuth | undefined = undefined;

  /**
   * Who this connection is: the principal the gateway's guards set at the handshake (the first guard
   * that returned `{ principal }`), or the refreshed one after the credentials were renewed.
   * `undefined` when no guard set one.
   */
  get principal(): P | undefined {
    return this[kAuth]?.principal as P | undefined;
  }

  /**
   * Refreshes this connection's credentials on a raw gateway (contract gateways do it through the
   * typed client's `$auth` request): pass what your own check of a new token returned, as a guard
   * would. `{ principal, expiresAt? }` of the same identity (the guard's `sameIdentity`, by default
   * the same `id`) replaces the principal and the expiry and runs `@OnReauth`; `true` keeps the
   * principal and drops the expiry; `false`, another identity or an expiry already past close the
   * connection with 4401. Resolves with whether the refresh was accepted.
   *
   * Rejects with `TypeError` when the gateway has no guards.
   * @example
   * ```ts
   * @OnMessage() async onMessage(m: string) {
   *   const { token } = JSON.parse(m);
   *   if (token) return this.conn.reauthenticate(await this.tokens.check(token));
   * }
   * ```
   */
  reauthenticate(result: GuardResult<P>): Promise<boolean> {
    const auth = this[kAuth];
    if (!auth) return Promise.reject(new TypeError("conn.reauthenticate: this connection's gateway has no guards"));
    return auth.renew(result);
  }

  /** @internal Set by the runtime on contract gateways: the protocol session of this connection. */
  [kSession]: ContractSession | undefined;

  /**
   * Sends the contract event `type` (declared under the contract's `server`) with `data`. Resolves
   * once flushed, like `writeMessage`. With `validateOutgoing`, data its schema refuses is logged
   * and the promise rejects.
   *
   * @throws TypeError when the gateway has no contract or the contract has no such event.
   * @example
   * ```ts
   * await this.conn.send('message', { text: 'hello' });
   * ```
   */
  send<T extends ServerEventType<C>>(type: T, data: ServerData<C, T>): Promise<void> {
    const sent = this.session('send').send(type, data);
    sent.catch(noop);
    return sent;
  }

  /**
   * Asks the client (its `handle(type, …)`) and resolves with its answer, validated against the
   * contract. Rejects with `TimeoutError` after `timeout` (default 30 s; the client is sent
   * `$cancel`), with the signal's reason when aborted, with `MessageError` when the client answers
   * with an error, and with `WebSocketClosedError` when the connection ends first.
   *
   * @example
   * ```ts
   * const ok = await this.conn.call('confirm', { question: 'Leave the room?' }, { timeout: 10_000 });
   * ```
   */
  call<T extends ServerRequestType<C>>(type: T, data: ServerData<C, T>, options?: CallOptions): Promise<ServerReply<C, T>> {
    const answer = this.session('call').call(type, data, options) as Promise<ServerReply<C, T>>;
    answer.catch(noop);
    return answer;
  }

  private session(what: string): ContractSession {
    const session = this[kSession];
    if (!session) throw new TypeError(`conn.${what}: this connection's gateway has no contract`);
    return session;
  }

  /** @internal Set by the runtime: the app's hub and the gateway's slow-consumer limits. */
  [kPubSub]: PubSubLink | undefined;

  /**
   * Receives from now on what `hub.publish` sends to `topic` (on any node sharing the broker).
   * Effective locally at once; resolves when the broker confirmed it (rejects with `BrokerError`).
   * A closed connection is unsubscribed from everything.
   *
   * @throws WebSocketClosedError when the connection is not open.
   * @example
   * ```ts
   * @OnOpen() open(room: string) { return this.conn.subscribe(`room:${room}`); }
   * ```
   */
  subscribe(topic: string): Promise<void> {
    return subscribe(this, topic);
  }

  /** Stops receiving `topic`. Resolves once the broker was told (when this was its last local subscriber). */
  unsubscribe(topic: string): Promise<void> {
    return unsubscribe(this, topic);
  }

  /** The topics this connection subscribes to (a snapshot). */
  get topics(): ReadonlySet<string> {
    return topicsOf(this);
  }
}
