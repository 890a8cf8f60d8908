/**
 * `wsgate/client` in Node: the typed client on `websocketConnect` (CommonJS, the same classes as
 * the package root).
 * @module
 */
export * from './client-shared';
export { connect } from './client/typed-node';
