/**
 * `wsgate/client` in browsers: the typed client on the global `WebSocket`. Built as an ES module
 * (dist/esm) with only relative imports, so a page can import it without a bundler.
 * @module
 */
export * from './client-shared';
export { connect } from './protocol/client/browser';
