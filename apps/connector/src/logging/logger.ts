import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Paths pino replaces with "[redacted]" wherever they appear in a log object.
 * The connector never hands a plain password to the logger; this is the second line.
 */
export const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'verifier',
  '*.verifier',
  'sealedPassword',
  '*.sealedPassword',
  'privateKey',
  '*.privateKey',
  'connectionString',
  '*.connectionString',
  'config.target',
  'target',
  'err.config',
];

export const LOGGER = Symbol('CONNECTOR_LOGGER');

/** JSON lines on stdout (or `destination`, e.g. a test's capture stream). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'doorman-connector' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

/** Lets Nest's own messages (bootstrap, lifecycle) go through the same pino logger. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
