/**
 * Requests the server sends to the typed client (`conn.call` on the server), answered by the
 * handlers given to `c.handle`. No imports but relative ones.
 * @module
 */
import { MessageError } from '../../errors';
import type { MessageSpec } from '../contract';
import { writeErrorReply, writeReply, writeSystemError, type Id, type WireError } from '../envelope';
import type { ClientHandlerContext } from './options';
import { validated } from './validation';

/** A handler of one server request type (types are checked by `ContractClient.handle`). */
export type AnyHandler = (data: unknown, ctx: ClientHandlerContext) => unknown;

export class ServerRequests {
  private readonly handlers = new Map<string, AnyHandler>();
  /** Requests being handled, by id: aborted on `$cancel` or when the connection ends. */
  private readonly running = new Map<Id, AbortController>();

  /**
   * @param specs the contract's `server` side.
   * @param reply writes an answer, if the connection the request came on is still the current one.
   */
  constructor(
    private readonly specs: Readonly<Record<string, MessageSpec>>,
    private readonly reply: (text: string, generation: number) => void,
    /** Told of a handler that failed with something other than a `MessageError` (answered INTERNAL). */
    private readonly report: (err: unknown) => void,
  ) {}

  set(type: string, handler: AnyHandler): () => void {
    if (this.handlers.has(type)) throw new Error(`handle("${type}"): a handler is already registered`);
    this.handlers.set(type, handler);
    return () => {
      if (this.handlers.get(type) === handler) this.handlers.delete(type);
    };
  }

  /** A request arrived on connection `generation`. */
  receive(type: string, id: Id, data: unknown, generation: number): void {
    if (this.running.has(id)) {
      // Never an answer to that id: the first request's answer is still to come.
      return this.reply(writeSystemError({ code: 'DUPLICATE_ID', message: `request id ${JSON.stringify(id)} is still pending`, type }), generation);
    }
    const handler = this.handlers.get(type);
    if (!handler || !this.specs[type]?.reply) {
      return this.reply(writeErrorReply(id, { code: 'UNKNOWN_TYPE', message: `no handler for "${type}"` }), generation);
    }
    const controller = new AbortController();
    this.running.set(id, controller);
    const ctx: ClientHandlerContext = { signal: controller.signal, type, id };
    const answer = async (): Promise<unknown> => handler(await validated(this.specs[type].data, data, `"${type}" data`), ctx);
    answer().then(
      (result) => this.settle(id, controller, generation, writeReply(id, result)),
      (err) => {
        if (!MessageError.is(err)) this.report(err);
        this.settle(id, controller, generation, writeErrorReply(id, toWireError(err)));
      },
    );
  }

  /** The server gave up request `id`. */
  cancel(id: Id): void {
    const controller = this.running.get(id);
    if (!controller) return;
    this.running.delete(id);
    controller.abort(new MessageError('CANCELLED', 'the server cancelled the request'));
  }

  /** The connection ended: every running handler's signal aborts; their answers are dropped. */
  abortAll(): void {
    for (const id of [...this.running.keys()]) {
      const controller = this.running.get(id)!;
      this.running.delete(id);
      controller.abort(new MessageError('CANCELLED', 'the connection ended'));
    }
  }

  private settle(id: Id, controller: AbortController, generation: number, text: string): void {
    // A cancelled request (or one from a connection that ended) gets nothing more.
    if (this.running.get(id) !== controller) return;
    this.running.delete(id);
    this.reply(text, generation);
  }
}

function toWireError(err: unknown): WireError {
  if (MessageError.is(err)) {
    const out: WireError = { code: err.code, message: err.message };
    if (err.issues) out.issues = [...err.issues].map((i) => ({ message: i.message, path: [...i.path] }));
    if (err.data !== undefined) out.data = err.data;
    return out;
  }
  return { code: 'INTERNAL', message: 'Internal error' };
}
