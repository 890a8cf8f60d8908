/**
 * What user code reads of a handshake before the socket opens: `RequestView` (the request snapshot
 * plus path parameters, what a rate limit's `key` gets) and `HandshakeView` (that plus credentials and
 * the principal so far, what a guard gets). Both read the snapshot through, so its headers are parsed
 * only if asked.
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { HandshakeRequest } from '../server/handshake-request';
import type { RateLimitKeyInput } from '../types';
import { parseCookies, readBearerToken } from './credentials';
import type { Handshake } from './guard';

/** The request snapshot and the path parameters. */
export class RequestView implements RateLimitKeyInput {
  constructor(
    protected readonly request: HandshakeRequest,
    readonly params: Readonly<Record<string, string>>,
  ) {}

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

/** What a guard reads. Made only for gateways with guards. */
export class HandshakeView extends RequestView implements Handshake {
  principal: unknown = undefined;
  #cookies: Record<string, string> | undefined = undefined;
  #bearerToken: string | undefined | null = null; // null: not read yet

  constructor(
    request: HandshakeRequest,
    params: Readonly<Record<string, string>>,
    /** The request's Authorization header, as sent. */
    private readonly authorization: string | undefined,
    /** The offered subprotocols, token entries included (the snapshot's headers leave those out). */
    private readonly offered: readonly string[],
    /** Whether the origin was checked before the guards: only then are cookies read. */
    private readonly originChecked: boolean,
  ) {
    super(request, params);
  }

  /** Read on first use: a guard that never looks at it costs no parsing. */
  get bearerToken(): string | undefined {
    if (this.#bearerToken === null) this.#bearerToken = readBearerToken(this.authorization, this.offered);
    return this.#bearerToken;
  }

  get cookies(): Readonly<Record<string, string>> | undefined {
    if (!this.originChecked) return undefined;
    return (this.#cookies ??= parseCookies(this.request.headers.cookie));
  }
}
