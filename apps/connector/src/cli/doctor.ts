import pino from 'pino';
import { ConfigError, loadConnectorConfig } from '../config/connector.config';
import { renderDoctorReport, runDoctor } from '../postgres/doctor';
import { TargetClient } from '../postgres/target-client';

/**
 * `npm run doctor`: connects to the target with the connector's configured admin (same
 * environment as the connector) and prints, line by line, what works, what is missing and
 * the SQL that fixes each gap. Exit code 1 when something is missing. Read-only.
 */
async function main(): Promise<number> {
  const config = loadConnectorConfig();
  const target = new TargetClient(
    config.target,
    config.statementTimeoutMs,
    2,
    pino({ level: 'silent' }),
  );
  try {
    const lines = await runDoctor(target, config.target.sslMode);
    process.stdout.write(
      `Doorman connector doctor: ${config.target.user}@${config.target.host}:${config.target.port}/${config.target.database}\n` +
        `${renderDoctorReport(lines)}\n`,
    );
    return lines.some((l) => l.status === 'missing') ? 1 : 0;
  } finally {
    await target.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `${err instanceof ConfigError ? err.message : err instanceof Error ? err.message : String(err)}\n`,
    );
    process.exit(2);
  },
);
