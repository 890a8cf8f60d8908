/**
 * The contract protocol on one server connection: reads envelopes, validates payloads, runs the
 * handlers (`concurrency` at a time, in arrival order, the rest in the shared inbound queue),
 * answers with replies, streams and error replies, and keeps the server's own calls to the client.
 * Replies, `$cancel` and `$auth` are handled as they are read, never behind a handler. While the
 * server awaits the client (`conn.call`), the socket is never paused (the answer must be readable):
 * data messages beyond the bound are then answered `OVERLOADED`.
 * @module
 */
import { CloseCode, isThenable, kSend, MAX_CLOSE_REASON_BYTES, noop } from '../../constants';
import { handleUserError } from '../../connection/handler-errors';
import { InboundQueue, type Pausable } from '../../connection/inbound-queue';
import { MessageError, WebSocketClosedError, WebSocketError } from '../../errors';
import { readEnvelope, writeAuthExpiring, writeCancel, writeReply, writeRequest, writeSystemError, type Envelope, type Id, type WireError, type WireIssue } from '../../protocol/envelope';
import { PendingCalls, type CallOptions } from '../../protocol/pending-calls';
import { runSchema, wireIssues, type ValidationResult } from '../../protocol/validate';
import type { Logger } from '../../types';
import type { CompiledContract } from './compiled';
import { describePeerError, errorAnswer, INTERNAL, messageErrorAnswer } from './answers';
import { AuthRequests, type AuthHook } from './auth-requests';
import { checkReply, DEFAULT_CALL_TIMEOUT, sendEvent, serverSpec } from './outgoing';
import { runStream } from './stream';
import { Work } from './work';

/** What the session needs of its connection. */
export interface SessionConnection {
  readonly isOpen: boolean;
  writeMessage(message: string): Promise<void>;
  close(code?: number, reason?: string): Promise<void>;
  [kSend](data: string, binary: boolean): void;
}

type Method = (this: object, ...args: unknown[]) => unknown;

export class ContractSession {
  private readonly queue: InboundQueue<Work>;
  /** Requests queued or running, by id: for `$cancel` and `DUPLICATE_ID`. */
  private readonly active = new Map<Id, Work>();
  private running = 0;
  private ended = false;
  private whenIdle: (() => void) | undefined;
  readonly calls: PendingCalls;
  private readonly methods: Record<string | symbol, Method>;
  /** Answers the client's `$auth` (in-band credential refresh; see `AuthHook`). Unset: refused `UNAUTHORIZED`. */
  onAuth: AuthHook | undefined;
  /** Made at the first `$auth` (most connections never send one). */
  private auth: AuthRequests | undefined;

  constructor(
    private readonly compiled: CompiledContract,
    instance: object,
    private readonly conn: SessionConnection,
    private readonly logger: Logger,
    maxQueued: number,
  ) {
    this.methods = instance as Record<string | symbol, Method>;
    this.queue = new InboundQueue(maxQueued);
    this.calls = new PendingCalls((id) => this.sendText(writeCancel(id)), () => this.queue.setPausable(true));
  }

  /** The socket the queue pauses when handlers fall behind. */
  attach(socket: Pausable): void {
    this.queue.attach(socket);
  }

  /** Every message of the connection, as it is read (the dispatcher never holds it back). */
  receive(message: string | Buffer): void {
    if (this.ended) return;
    if (typeof message !== 'string') return this.receiveBinary(message);
    const envelope = readEnvelope(message);
    switch (envelope.kind) {
      case 'event':
      case 'request':
        return this.receiveData(envelope);
      case 'reply':
        this.calls.reply(envelope.id, envelope.data); // a reply to no pending call is ignored
        return;
      case 'error-reply':
        this.calls.error(envelope.id, envelope.error);
        return;
      case 'cancel':
        this.active.get(envelope.id)?.cancel(new DOMException('The client cancelled the request', 'AbortError'));
        return;
      case 'peer-error':
        // A summary of bounded strings, never the client's value itself: a structured logger
        // serialising a deeply nested value would throw (and the client controls that value).
        this.logger.debug?.(`wsgate: ${this.compiled.gatewayName}: the client sent $error ${describePeerError(envelope.error)}`);
        return;
      case 'auth':
        if (this.idTaken(envelope.id)) return this.duplicate(envelope.id, '$auth');
        this.auth ??= new AuthRequests({ hook: () => this.onAuth, send: (t) => this.sendText(t), close: (c, r) => this.conn.close(c, r),
          ended: () => this.ended, invalid: (m, id) => this.invalid('BAD_MESSAGE', m, id, '$auth') });
        return this.auth.receive(envelope.id, envelope.data);
      case 'ignored':
      case 'auth-expiring': // only servers send it
        return;
      case 'bad':
        return this.invalid('BAD_MESSAGE', envelope.message, envelope.id, envelope.type);
    }
  }

  /** Warns the client that its credentials expire at `expiresAt` (ms since the epoch): `$auth.expiring`. */
  sendAuthExpiring(expiresAt: number): void {
    this.sendText(writeAuthExpiring(expiresAt));
  }

  /** `conn.send`: an event of the contract's `server` side. */
  send(type: string, data: unknown): Promise<void> {
    return sendEvent(this.compiled, this.conn, this.logger, type, data);
  }

  /**
   * `conn.call`: a request to the client; its reply is validated like any incoming payload. The
   * socket stays readable until the answer comes.
   */
  call(type: string, data: unknown, options: CallOptions | undefined): Promise<unknown> {
    const spec = serverSpec(this.compiled, 'call', type);
    if (!spec.reply) throw new TypeError(`conn.call: "${type}" is an event (it has no reply): use conn.send`);
    if (!this.conn.isOpen) throw new WebSocketClosedError('conn.call: WebSocket is closed');
    const id = this.calls.nextId();
    const answer = this.calls.add(id, type, { timeout: DEFAULT_CALL_TIMEOUT, ...options }, checkReply(spec.reply, type));
    this.queue.setPausable(false);
    this.sendText(writeRequest(type, id, data));
    return answer;
  }

  /**
   * The connection has ended: running handlers see their signal abort (their results are
   * discarded), queued ones never run, pending calls reject. Resolves once the running handlers
   * have settled (the caller bounds the wait).
   */
  end(): Promise<void> | undefined {
    this.ended = true;
    const reason = new WebSocketClosedError('the connection closed');
    for (const work of this.active.values()) work.cancel(reason);
    this.active.clear();
    this.queue.clear();
    this.calls.closeAll();
    if (this.running === 0) return undefined;
    return new Promise<void>((resolve) => (this.whenIdle = resolve));
  }

  private receiveBinary(message: Buffer): void {
    const method = this.compiled.binaryMethod;
    if (method === undefined) return this.invalid('BAD_MESSAGE', 'binary frames are not part of this protocol', undefined, undefined);
    let result: unknown;
    try {
      result = this.methods[method](message);
    } catch (err) {
      return handleUserError(this.conn, this.logger, `${this.compiled.gatewayName}.${String(method)} (@OnMessage)`, err);
    }
    if (isThenable(result)) result.then(undefined, (err: unknown) => handleUserError(this.conn, this.logger, `${this.compiled.gatewayName}.${String(method)} (@OnMessage)`, err));
  }

  private receiveData(envelope: Extract<Envelope, { kind: 'event' | 'request' }>): void {
    const spec = this.compiled.types.get(envelope.type);
    const id = envelope.kind === 'request' ? envelope.id : undefined;
    if (!spec) return this.invalid('UNKNOWN_TYPE', `unknown message type "${envelope.type}"`, id, envelope.type);
    if (id !== undefined && this.idTaken(id)) return this.duplicate(id, envelope.type);
    const work = new Work(spec, id, envelope.data, envelope.kind === 'request' ? envelope.key : undefined);
    if (this.running < this.compiled.concurrency && this.queue.size === 0) return this.start(work);
    if (!this.queue.isPausable && this.queue.size >= this.queue.bound) {
      return this.sendError(id, envelope.type, { code: 'OVERLOADED', message: 'too many messages waiting; try again later' });
    }
    if (id !== undefined) this.active.set(id, work);
    this.queue.push(work);
  }

  private start(work: Work): void {
    this.running++;
    if (work.id !== undefined) this.active.set(work.id, work);
    const schema = work.spec.data;
    if (!schema) {
      work.data = undefined;
      return this.invoke(work);
    }
    const result = runSchema(schema, work.data);
    if (isThenable<ValidationResult>(result)) {
      result.then(
        (r) => this.validated(work, r),
        (err: unknown) => this.failed(work, err),
      );
    } else this.validated(work, result);
  }

  private validated(work: Work, result: ValidationResult): void {
    if (work.cancelled) return this.finish(work);
    if (result.issues) {
      this.invalid('VALIDATION', `invalid data for "${work.type}"`, work.id, work.type, wireIssues(result.issues));
      return this.finish(work);
    }
    work.data = result.value;
    this.invoke(work);
  }

  private invoke(work: Work): void {
    let result: unknown;
    try {
      result = this.methods[work.spec.method](work.data, work);
    } catch (err) {
      return this.failed(work, err);
    }
    if (work.spec.stream) {
      runStream(this.conn, work, result, this.compiled.validateOutgoing).then(
        () => this.finish(work),
        (err: unknown) => this.failed(work, err),
      );
    } else if (isThenable(result)) {
      result.then(
        (value) => this.replied(work, value),
        (err: unknown) => this.failed(work, err),
      );
    } else this.replied(work, result);
  }

  private replied(work: Work, value: unknown): void {
    if (work.cancelled || work.id === undefined || !this.conn.isOpen) return this.finish(work);
    const reply = work.spec.reply;
    if (!reply) {
      this.sendText(writeReply(work.id, null));
      return this.finish(work);
    }
    if (!this.compiled.validateOutgoing) {
      this.sendText(writeReply(work.id, value));
      return this.finish(work);
    }
    const checked = runSchema(reply, value);
    const send = (r: ValidationResult): void => {
      if (r.issues) {
        this.logger.error(`wsgate: ${work.spec.label} returned a reply its schema refuses:`, wireIssues(r.issues));
        this.sendError(work.id, work.type, INTERNAL);
      } else if (!work.cancelled) this.sendText(writeReply(work.id!, value));
      this.finish(work);
    };
    if (isThenable<ValidationResult>(checked)) checked.then(send, (err: unknown) => this.failed(work, err));
    else send(checked);
  }

  private failed(work: Work, err: unknown): void {
    if (err instanceof WebSocketError) {
      handleUserError(this.conn, this.logger, work.spec.label, err);
    } else if (MessageError.is(err)) {
      if (!work.cancelled) this.sendError(work.id, work.type, messageErrorAnswer(this.compiled, this.logger, work.spec.label, err));
    } else if (work.cancelled) {
      // Cancelled or closed: failing on the aborted signal or a closed socket is how it ends.
      this.logger.debug?.(`wsgate: ${work.spec.label} ended after it was cancelled:`, err);
    } else {
      this.logger.error(`wsgate: ${work.spec.label} failed:`, err);
      this.sendError(work.id, work.type, INTERNAL);
    }
    this.finish(work);
  }

  private finish(work: Work): void {
    this.running--;
    if (work.id !== undefined && this.active.get(work.id) === work) this.active.delete(work.id);
    if (this.ended) {
      if (this.running === 0) this.whenIdle?.();
      return;
    }
    let next: Work | undefined;
    while (this.running < this.compiled.concurrency && (next = this.queue.shift()) !== undefined) {
      if (next.cancelled) {
        if (next.id !== undefined) this.active.delete(next.id);
        continue; // a request cancelled while it waited never runs
      }
      this.start(next);
    }
  }

  private idTaken(id: Id): boolean {
    return this.active.has(id) || this.auth?.has(id) === true;
  }

  /** Never a reply to that id: it belongs to the request still pending. */
  private duplicate(id: Id, type: string): void {
    this.sendText(writeSystemError({ code: 'DUPLICATE_ID', message: `request id ${JSON.stringify(id)} is still pending`, type }));
  }

  /** BAD_MESSAGE, UNKNOWN_TYPE, VALIDATION: an error answer, or with `onInvalidMessage: 'close'` a 1008 close. */
  private invalid(code: string, message: string, id: Id | undefined, type: string | undefined, issues?: WireIssue[]): void {
    if (this.compiled.onInvalidMessage === 'close') {
      const reason = `${code}: ${message}`;
      this.conn.close(CloseCode.policyViolation, Buffer.byteLength(reason) > MAX_CLOSE_REASON_BYTES ? code : reason).catch(noop);
      return;
    }
    this.sendError(id, type, issues ? { code, message, issues } : { code, message });
  }

  /** An error reply to `id`, or a `$error` naming the type when there is no usable id. */
  private sendError(id: Id | undefined, type: string | undefined, error: WireError): void {
    this.sendText(errorAnswer(id, type, error));
  }

  private sendText(text: string): void {
    if (this.conn.isOpen) this.conn[kSend](text, false);
  }
}
