/**
 * Types of the typed client's API. No imports but relative ones.
 * @module
 */
import type { MessageError } from '../../errors';
import type { ContractDefinition, ErrorCode, Schema } from '../contract';

/** The payload argument, optional when the type carries no data (or accepts `undefined`). */
export type PayloadArgs<D, O> = undefined extends D ? [data?: D, options?: O] : [data: D, options?: O];

/** The data declared for error code `K` in the contract's `errors`. */
export type ErrorData<C extends ContractDefinition, K extends string> = C['errors'] extends Readonly<Record<string, Schema>>
  ? K extends keyof C['errors']
    ? C['errors'][K] extends Schema
      ? NonNullable<C['errors'][K]['~standard']['types']>['output']
      : unknown
    : unknown
  : unknown;

/** A `MessageError` of this contract: `code` is one of its codes. */
export type ContractError<C extends ContractDefinition, K extends ErrorCode<C> = ErrorCode<C>> = MessageError<K, ErrorData<C, K>>;
