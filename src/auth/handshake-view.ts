/**
 * The `Handshake` a guard reads: the request snapshot plus params, credentials and the principal
 * so far. Made only for gateways with guards.
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { HandshakeRequest } from '../server/handshake-request';
import { parseCookies, readBearerToken } from './credentials';
import type { Handshake } from './guard';

export class HandshakeView implements Handshake {
  principal: unknown = undefined;
  #cookies: Record<string, string> | undefined = undefined;
  #bearerToken: string | undefined | null = null; // null: not read yet

  constructor(
    private readonly request: HandshakeRequest,
    readonly params: Readonly<Record<string, string>>,
    /** The request's Authorization header, as sent. */
    private readonly authorization: string | undefined,
    /** The offered subprotocols, token entries included (the snapshot's headers leave those out). */
    private readonly offered: readonly string[],
    /** Whether the origin was checked before the guards: only then are cookies read. */
    private readonly originChecked: boolean,
  ) {}

  /** Read on first use: a guard that never looks at it costs no parsing. */
  get bearerToken(): string | undefined {
    if (this.#bearerToken === null) this.#bearerToken = readBearerToken(this.authorization, this.offered);
    return this.#bearerToken;
  }

  get cookies(): Readonly<Record<string, string>> | undefined {
    if (!this.originChecked) return undefined;
    return (this.#cookies ??= parseCookies(this.request.headers.cookie));
  }

  get method(): string {
    return this.request.method;
  }
  get url(): string {
    return this.request.url;
  }
  get httpVersion(): string {
    return this.request.httpVersion;
  }
  get headers(): Readonly<IncomingHttpHeaders> {
    return this.request.headers;
  }
  get remoteAddress(): string | undefined {
    return this.request.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.request.remotePort;
  }
  get encrypted(): boolean {
    return this.request.encrypted;
  }
  get query(): URLSearchParams {
    return this.request.query;
  }
}
