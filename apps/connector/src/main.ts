import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import type { DestinationStream } from 'pino';
import { connectorQueueName } from '@doorman/contracts';
import { ConfigError, loadConnectorConfig } from './config/connector.config';
import { ConnectorModule } from './connector.module';
import { createLogger, PinoNestLogger } from './logging/logger';
import { logDoctorReport } from './postgres/doctor';
import { ConnectorTargets } from './targets/connector-targets';

export interface BootstrapOptions {
  /** Defaults to the process environment (read only by loadConnectorConfig). */
  env?: NodeJS.ProcessEnv;
  /** Where JSON log lines go; stdout by default. Tests pass a capture stream. */
  logDestination?: DestinationStream;
}

/** Starts the headless connector: config, logger, worker, heartbeat. */
export async function bootstrap(opts: BootstrapOptions = {}): Promise<INestApplicationContext> {
  const config = loadConnectorConfig(opts.env);
  const logger = createLogger(config.logLevel, opts.logDestination);
  const app = await NestFactory.createApplicationContext(ConnectorModule.forRoot(config, logger), {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
  });
  // SIGTERM/SIGINT close the worker (running jobs finish), then Redis and the pools.
  app.enableShutdownHooks();
  logger.info(
    {
      connectorId: config.connectorId,
      queue: connectorQueueName(config.connectorId),
      // Where each target is; never its password.
      targets: config.targets.map((t) => ({
        integrationId: t.integrationId,
        host: t.connection.host,
        port: t.connection.port,
        database: t.connection.database,
        sslMode: t.connection.sslMode,
      })),
    },
    'connector started',
  );
  // What each target's admin can and cannot do, line by line; `npm run doctor` prints the same.
  await Promise.all(
    app
      .get(ConnectorTargets)
      .all.map((t) => logDoctorReport(t.client, t.config.connection.sslMode, t.logger)),
  );
  return app;
}

if (require.main === module) {
  bootstrap().catch((err: unknown) => {
    // Config errors list every bad variable; print them plainly for the operator.
    const text =
      err instanceof ConfigError
        ? err.message
        : err instanceof Error
          ? (err.stack ?? err.message)
          : String(err);
    process.stderr.write(`${text}\n`);
    process.exit(1);
  });
}
