/**
 * The typed client's connection over time: opens transports one after the other, tracks the
 * state, and decides (reconnect.ts) whether and when to try again. Knows nothing of messages.
 * No imports but relative ones.
 * @module
 */
import { WebSocketClosedError } from '../../errors';
import { PROTOCOL_NAME } from '../contract';
import { nextStep } from './reconnect';
import type { ClientState, ResolvedClientOptions } from './options';
import type { Transport, TransportFactory } from './transport';

/** A connection opened with a fresh token after a 4401 that lasts this long had its token accepted. */
const AUTH_ACCEPTED_AFTER = 10_000;

export interface LinkHooks {
  /** A transport opened (the first one or after a reconnect). */
  onOpen(): void;
  onMessage(text: string, binary: boolean): boolean;
  /** An open connection was lost and another attempt will follow. */
  onDown(): void;
  /** Stopped for good; `error` says why (undefined after `close()`). */
  onClosed(error: Error | undefined): void;
}

export class Link {
  private _state: ClientState = 'connecting';
  private transport: Transport | undefined;
  /** Bumped for each transport: events of an older one are ignored. */
  private generation = 0;
  private attempt = 0;
  private authRetried = false;
  private authTimer: ReturnType<typeof setTimeout> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closedResolve: (() => void) | undefined;
  private readonly closedPromise = new Promise<void>((resolve) => (this.closedResolve = resolve));

  constructor(
    private readonly url: string,
    private readonly o: ResolvedClientOptions,
    private readonly factory: TransportFactory,
    private readonly hooks: LinkHooks,
  ) {}

  get state(): ClientState {
    return this._state;
  }

  /** Which transport is current: messages of a server request answer only on the one they came from. */
  get currentGeneration(): number {
    return this.generation;
  }

  start(): void {
    void this.attemptOpen();
  }

  /** Writes on the open transport; false when there is none. */
  send(text: string): Promise<void> | false {
    if (this._state !== 'open' || !this.transport) return false;
    return Promise.resolve(this.transport.send(text));
  }

  /** Stops for good: closes the transport (when there is one) and resolves once it has ended. */
  close(code = 1000, reason = ''): Promise<void> {
    if (this._state === 'closed') return this.closedPromise;
    clearTimeout(this.timer);
    const transport = this.transport;
    this.finish(undefined);
    if (transport) {
      this.pendingEnd = transport;
      transport.close(code, reason);
      return new Promise<void>((resolve) => (this.onEnded = resolve));
    }
    return this.closedPromise;
  }

  /** The transport being closed by `close()`, and who waits for its end. */
  private pendingEnd: Transport | undefined;
  private onEnded: (() => void) | undefined;

  private authAccepted(): void {
    clearTimeout(this.authTimer);
    this.authRetried = false;
  }

  private setState(state: ClientState): void {
    if (this._state === state) return;
    this._state = state;
    this.o.onStateChange?.(state);
  }

  private async attemptOpen(): Promise<void> {
    const generation = ++this.generation;
    let token: string | undefined;
    if (this.o.getToken) {
      try {
        token = await this.o.getToken();
      } catch (err) {
        if (generation !== this.generation || this._state === 'closed') return;
        // After a refused token a failing getToken ends it; otherwise it counts as a failed attempt.
        if (this.authRetried) return this.finish(new WebSocketClosedError(`getToken failed after the server refused the credentials: ${String(err)}`));
        return this.ended(generation, 1006, `getToken failed: ${String(err)}`, err instanceof Error ? err : undefined, false);
      }
      if (generation !== this.generation || this._state === 'closed') return;
    }
    let opened = false;
    const transport = this.factory(
      this.url,
      { protocols: [PROTOCOL_NAME, ...this.o.subprotocols], headers: this.o.headers, token },
      {
        onOpen: () => {
          if (generation !== this.generation || this._state === 'closed') return;
          opened = true;
          this.attempt = 0;
          // A refused token may also show as a 101 closed at once with 4401: the retry counts as
          // accepted only once the server sent something or the connection lasted a while.
          if (this.authRetried) this.authTimer = setTimeout(() => this.authAccepted(), AUTH_ACCEPTED_AFTER);
          this.setState('open');
          this.hooks.onOpen();
        },
        onMessage: (text, binary) => {
          if (generation !== this.generation || this._state !== 'open') return false;
          if (this.authRetried) this.authAccepted();
          return this.hooks.onMessage(text, binary);
        },
        onClose: (code, reason, error) => {
          if (transport === this.pendingEnd) {
            this.pendingEnd = undefined;
            this.onEnded?.();
          }
          if (generation !== this.generation) return;
          this.transport = undefined;
          clearTimeout(this.authTimer);
          if (this._state !== 'closed') this.ended(generation, code, reason, error, opened);
        },
      },
    );
    if (generation === this.generation && this._state !== 'closed') this.transport = transport;
  }

  private ended(generation: number, code: number, reason: string, error: Error | undefined, wasOpen: boolean): void {
    if (generation !== this.generation) return;
    const step = nextStep(code, reason, {
      reconnect: this.o.reconnect,
      attempt: this.attempt,
      authRetried: this.authRetried,
      hasGetToken: this.o.getToken !== undefined,
      random: Math.random,
    });
    if ('stop' in step) return this.finish(error ?? new WebSocketClosedError(`connection to ${this.url}: ${step.stop}`));
    this.attempt++;
    this.authRetried = step.authRetry;
    this.setState('reconnecting');
    if (wasOpen) this.hooks.onDown();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this._state !== 'closed') void this.attemptOpen();
    }, step.delay);
  }

  private finish(error: Error | undefined): void {
    if (this._state === 'closed') return;
    clearTimeout(this.timer);
    clearTimeout(this.authTimer);
    this.generation++;
    this.transport = undefined;
    this.setState('closed');
    this.hooks.onClosed(error);
    this.closedResolve?.();
  }
}
