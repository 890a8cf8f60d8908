/**
 * Runs a TypeScript script from test/scripts in its own Node process (so flags such as
 * --expose-gc and the memory it measures stay out of the jest worker) and returns the JSON
 * object it prints last.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

export function runScript<T>(script: string, args: readonly (string | number)[], { nodeFlags = [] as string[], timeoutMs = 120_000 } = {}): Promise<T> {
  const argv = [...nodeFlags, '-r', join(root, 'test/scripts/register-ts.js'), join(root, 'test/scripts', script), ...args.map(String)];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, argv, { cwd: root, timeout: timeoutMs, maxBuffer: 16 * 2 ** 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${script} failed: ${err.message}\n${stderr}`));
      const last = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`${script} printed no JSON result:\n${stdout}\n${stderr}`));
      }
    });
  });
}
