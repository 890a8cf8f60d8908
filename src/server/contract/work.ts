/**
 * One message of a contract gateway on its way through the session: the handler's `ctx`.
 * @module
 */
import type { MessageContext } from '../../protocol/context';
import type { Id } from '../../protocol/envelope';
import type { CompiledMessageType } from './compiled';

/** A message queued or running; it is its handler's `ctx`. The AbortController is made only when `signal` is read. */
export class Work implements MessageContext {
  cancelled = false;
  private controller: AbortController | undefined;
  private abortReason: unknown;
  private cancelWaiter: Promise<void> | undefined;
  private resolveCancelWaiter: (() => void) | undefined;

  constructor(
    readonly spec: CompiledMessageType,
    readonly id: Id | undefined,
    public data: unknown,
    readonly idempotencyKey: string | undefined,
  ) {}

  get type(): string {
    return this.spec.name;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.cancelled) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  /** The request was cancelled or its connection ended: its signal aborts and its results are discarded. */
  cancel(reason: unknown): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.abortReason = reason;
    this.controller?.abort(reason);
    this.resolveCancelWaiter?.();
  }

  /** Settles when the request is cancelled (made only when a stream waits on a flush). */
  whenCancelled(): Promise<void> {
    if (this.cancelled) return Promise.resolve();
    return (this.cancelWaiter ??= new Promise<void>((resolve) => (this.resolveCancelWaiter = resolve)));
  }
}
