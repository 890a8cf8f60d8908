import type { DependencyContainer } from 'tsyringe';
import type { Logger } from '../types';

/**
 * Disposes a connection's child container; a failing `dispose()` of a user service is logged, never
 * thrown. The promise settles (never rejects) once every service's `dispose()` has.
 */
export function disposeScope(container: DependencyContainer, logger: Logger, gatewayName: string): Promise<void> {
  return Promise.resolve()
    .then(() => container.dispose())
    .catch((err: unknown) => logger.error(`wsgate: ${gatewayName}: disposing the connection's services failed:`, err));
}
