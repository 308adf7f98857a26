import pino from 'pino';
import { ConfigError, loadConnectorConfig, type TargetConfig } from '../config/connector.config';
import { renderDoctorReport, runDoctor } from '../postgres/doctor';
import { TargetClient } from '../postgres/target-client';

/** The `--integration <id>` argument, if given. */
function integrationArg(argv: readonly string[]): string | undefined {
  const i = argv.findIndex((a) => a === '--integration' || a.startsWith('--integration='));
  if (i < 0) return undefined;
  const value = argv[i].includes('=') ? argv[i].split('=')[1] : argv[i + 1];
  if (!value) throw new ConfigError('--integration needs an integration id');
  return value;
}

async function doctorOf(t: TargetConfig, statementTimeoutMs: number): Promise<boolean> {
  const c = t.connection;
  const target = new TargetClient(c, statementTimeoutMs, 2, pino({ level: 'silent' }));
  try {
    const lines = await runDoctor(target, c.sslMode);
    const what = t.integrationId ? `integration ${t.integrationId}: ` : '';
    process.stdout.write(
      `Doorman connector doctor: ${what}${c.user}@${c.host}:${c.port}/${c.database}\n` +
        `${renderDoctorReport(lines)}\n`,
    );
    return lines.some((l) => l.status === 'missing');
  } finally {
    await target.close();
  }
}

/**
 * `npm run doctor [-- --integration <id>]`: connects to every target (or the one named) with the
 * connector's configured admin (same environment as the connector) and prints, line by line,
 * what works, what is missing and the SQL that fixes each gap. Exit code 1 when something is
 * missing on any target. Read-only.
 */
async function main(): Promise<number> {
  const config = loadConnectorConfig();
  const only = integrationArg(process.argv.slice(2));
  const targets = only ? config.targets.filter((t) => t.integrationId === only) : config.targets;
  if (targets.length === 0)
    throw new ConfigError(
      `no target serves integration ${only}; the targets are ${config.targets.map((t) => t.integrationId ?? 'the one of TARGET_DATABASE_URL').join(', ')}`,
    );
  let missing = false;
  // One after the other, so each report prints whole.
  for (const t of targets) if (await doctorOf(t, config.statementTimeoutMs)) missing = true;
  return missing ? 1 : 0;
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
