/**
 * What the server sends on its own on a contract connection: `conn.send` events and the checks
 * around `conn.call` (its default timeout, the validation of the client's answer).
 * @module
 */
import { isThenable } from '../../constants';
import { MessageError } from '../../errors';
import type { MessageSpec, Schema } from '../../protocol/contract';
import { writeEvent } from '../../protocol/envelope';
import { runSchema, wireIssues, type ValidationResult } from '../../protocol/validate';
import type { Logger } from '../../types';
import type { CompiledContract } from './compiled';

/** `conn.call` gives up after this long unless told otherwise. */
export const DEFAULT_CALL_TIMEOUT = 30_000;


/** The contract's `server` message `type`, or a TypeError naming the gateway. */
export function serverSpec(compiled: CompiledContract, what: string, type: string): MessageSpec {
  const server = compiled.contract.server;
  if (!server || !Object.prototype.hasOwnProperty.call(server, type)) {
    throw new TypeError(`conn.${what}: the contract of ${compiled.gatewayName} has no server message "${type}"`);
  }
  return server[type];
}

/** `conn.send`: the event, validated first with `validateOutgoing`; resolves once flushed. */
export async function sendEvent(
  compiled: CompiledContract,
  conn: { writeMessage(message: string): Promise<void> },
  logger: Logger,
  type: string,
  data: unknown,
): Promise<void> {
  const spec = serverSpec(compiled, 'send', type);
  if (spec.reply) throw new TypeError(`conn.send: "${type}" is a request (it has a reply): use conn.call`);
  if (compiled.validateOutgoing && spec.data) {
    const checked = await runSchema(spec.data, data);
    if (checked.issues) {
      logger.error(`wsgate: ${compiled.gatewayName}: conn.send('${type}') with data its schema refuses:`, wireIssues(checked.issues));
      throw new TypeError(`conn.send: the data of "${type}" does not match the contract`);
    }
  }
  return conn.writeMessage(writeEvent(type, data));
}

/** Validates a client's answer to `conn.call` (sync schemas without a promise). */
export function checkReply(schema: Schema, type: string): (data: unknown) => unknown {
  const verdict = (r: ValidationResult): unknown => {
    if (r.issues) throw new MessageError('VALIDATION', `the client's answer to "${type}" does not match the contract`, undefined, wireIssues(r.issues));
    return r.value;
  };
  return (data) => {
    const result = runSchema(schema, data);
    return isThenable<ValidationResult>(result) ? Promise.resolve(result).then(verdict) : verdict(result);
  };
}
