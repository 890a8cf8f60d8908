// Decorators read and write reflect-metadata: load it once before any test module is imported.
import 'reflect-metadata';
