import { createApp, type App, type AppOptions, type Logger } from '../../src';
import { onCleanup } from './cleanup';

/** A logger that keeps what it is given, so tests can assert on it (and the console stays quiet). */
export interface MemoryLogger extends Logger {
  readonly errors: string[];
  readonly warnings: string[];
  readonly debugs: string[];
}

export function memoryLogger(): MemoryLogger {
  const format = (message: string, details: unknown[]): string =>
    [message, ...details.map((d) => (d instanceof Error ? `${d.name}: ${d.message}` : String(d)))].join(' ');
  const errors: string[] = [];
  const warnings: string[] = [];
  const debugs: string[] = [];
  return {
    errors,
    warnings,
    debugs,
    error: (message, ...details) => void errors.push(format(message, details)),
    warn: (message, ...details) => void warnings.push(format(message, details)),
    debug: (message, ...details) => void debugs.push(format(message, details)),
  };
}

export interface TestApp {
  readonly app: App;
  readonly port: number;
  readonly logger: MemoryLogger;
  /** ws://127.0.0.1:PORT + path */
  url(path: string): string;
}

/** createApp + listen on 127.0.0.1:0; closed after the test. */
export async function startApp(gateways: AppOptions['gateways'], options: Partial<AppOptions> = {}): Promise<TestApp> {
  const logger = memoryLogger();
  const app = createApp({ logger, ...options, gateways });
  onCleanup(() => app.close());
  const { port } = await app.listen(0, '127.0.0.1');
  return { app, port, logger, url: (path) => `ws://127.0.0.1:${port}${path}` };
}
