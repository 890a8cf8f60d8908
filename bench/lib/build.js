'use strict';
/**
 * Builds what the bench runs: the library (root `npm run build`, tsc → dist/src, with decorator
 * metadata) and the bench's servers and client (bench/tsconfig.json → bench/build). Installs the
 * root's and the bench's dependencies first when a fresh clone has none.
 */
const fs = require('node:fs');
const path = require('node:path');
const { BENCH, ROOT, runStep } = require('./procs');

function build({ wsgate = true } = {}) {
  if (!fs.existsSync(path.join(ROOT, 'node_modules'))) runStep('library dependencies', 'npm', ['ci', '--no-audit', '--no-fund'], ROOT);
  if (wsgate) runStep('library build', 'npm', ['run', 'build'], ROOT);
  if (!fs.existsSync(path.join(BENCH, 'node_modules'))) runStep('bench dependencies', 'npm', ['ci', '--no-audit', '--no-fund'], BENCH);
  try {
    runStep('bench build', process.execPath, [path.join(BENCH, 'node_modules/typescript/bin/tsc'), '-p', path.join(BENCH, 'tsconfig.json')], BENCH);
  } catch (err) {
    // Without the library's dist/ the wsgate servers do not type-check; tsc still emits the others.
    if (wsgate) throw err;
    process.stderr.write('bench: the bench build had type errors (wsgate not built): raw ws and NestJS servers only\n');
  }
}

module.exports = { build };
