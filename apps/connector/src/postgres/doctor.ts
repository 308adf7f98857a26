import type { Logger } from 'pino';
import type { SslMode } from '@doorman/contracts';
import { readCapabilities } from './capabilities';
import { doctorReport, renderDoctorReport, type DoctorLine } from './doctor-report';
import { classifyError } from './sqlstate';
import type { TargetClient } from './target-client';

/** Runs every check; a login that fails is itself the report (no secrets in it). */
export async function runDoctor(target: TargetClient, sslMode: SslMode): Promise<DoctorLine[]> {
  try {
    return doctorReport(await readCapabilities(target, sslMode));
  } catch (err) {
    const e = classifyError(err);
    return [
      {
        check: 'login',
        status: 'missing',
        detail: `could not log in or read the catalog (${e.code}${e.sqlstate ? `, SQLSTATE ${e.sqlstate}` : ''})`,
        fix: 'check TARGET_DATABASE_URL / PG* variables and ADMIN_SECRET_FILE (or this target in CONNECTOR_TARGETS_FILE and its adminSecret), pg_hba.conf and the allowed networks',
      },
    ];
  }
}

/** The check at connector start: each line logged; gaps are warnings, never fatal. */
export async function logDoctorReport(
  target: TargetClient,
  sslMode: SslMode,
  logger: Logger,
): Promise<DoctorLine[]> {
  const lines = await runDoctor(target, sslMode);
  for (const l of lines) {
    const entry = { doctor: l.check, status: l.status, fix: l.fix };
    if (l.status === 'missing') logger.warn(entry, l.detail);
    else logger.info(entry, l.detail);
  }
  return lines;
}

export { renderDoctorReport };
