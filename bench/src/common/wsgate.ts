/**
 * The wsgate library under test, compiled by the root's `npm run build` (tsc, which emits the
 * decorator metadata wsgate's DI needs). Imported by relative path, not from npm: the bench
 * measures the working tree. tsyringe is likewise the root's copy (bench/ does not install one),
 * so `@scoped` registers in the same container wsgate resolves from.
 */
import 'reflect-metadata';
export * from '../../../dist/src';
