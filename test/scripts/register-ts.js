/**
 * Lets a child process run the TypeScript test scripts (decorators included) without a build:
 * `node -r ./test/scripts/register-ts.js test/scripts/churn.ts`. It compiles each file with
 * TypeScript's own transpiler, which, unlike tsx or esbuild, emits the `design:paramtypes`
 * metadata that constructor injection needs.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const configPath = path.join(__dirname, '..', '..', 'tsconfig.json');
const { config } = ts.readConfigFile(configPath, ts.sys.readFile);
const { options } = ts.convertCompilerOptionsFromJson(config.compilerOptions, path.dirname(configPath));
const compilerOptions = { ...options, module: ts.ModuleKind.CommonJS, declaration: false, sourceMap: false, inlineSourceMap: true };

require.extensions['.ts'] = (module, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions, fileName: filename });
  module._compile(outputText, filename);
};
