import { DomainError } from './errors';

/**
 * The tables whose unique indexes people run into (two admins, or one retrying client, creating
 * the same thing), and what a row is called. A unique violation anywhere else is the broker's own
 * bug and stays a 500 with a correlation id.
 */
const THING: Record<string, string> = {
  users: 'a user',
  groups: 'a group',
  connectors: 'a connector',
  integrations: 'an integration',
  access_flows: 'an access flow',
  approvals: 'an approval',
};
/** Columns whose value the caller sent and may see again; anything else (hashes) stays out. */
const ECHOED = new Set(['email', 'name', 'slack_user_id']);

interface PgError {
  code: string;
  table?: string;
  detail?: string;
}

/** The driver's error under TypeORM's QueryFailedError (or a bare pg error), if it is one. */
function pgErrorOf(error: unknown): PgError | null {
  const candidate =
    error instanceof Error && 'driverError' in error
      ? (error as { driverError: unknown }).driverError
      : error;
  if (typeof candidate !== 'object' || candidate === null) return null;
  const code = (candidate as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? (candidate as PgError) : null;
}

/**
 * PostgreSQL refusals that are the caller's doing, as domain errors: a unique index that another
 * request won the race for (23505) becomes a conflict naming what exists, text or numbers the
 * server cannot hold become a validation error. Null for anything else (a real 500). The SQL,
 * constraint names and other rows' values never reach the message.
 */
export function domainErrorFromDatabase(error: unknown): DomainError | null {
  const pg = pgErrorOf(error);
  if (!pg) return null;
  switch (pg.code) {
    case '23505':
      return pg.table && THING[pg.table] ? DomainError.conflict(uniqueViolationMessage(pg)) : null;
    case '22021': // character_not_in_repertoire (NUL in text)
    case '22P05': // untranslatable_character (\u0000 or a lone surrogate in jsonb)
      return DomainError.validation(
        'invalid input: text must not contain NUL (\\u0000) or a lone UTF-16 surrogate',
      );
    case '22003': // numeric_value_out_of_range
    case '22008': // datetime_field_overflow
    case '22007': // invalid_datetime_format
      return DomainError.validation('invalid input: a number, date or duration is out of range');
    default:
      return null;
  }
}

function uniqueViolationMessage(pg: PgError): string {
  const thing = THING[pg.table!];
  // detail: Key (email)=(a@example.com) already exists.
  const key = /^Key \(([^)]*)\)=\((.*)\) already exists\.?$/s.exec(pg.detail ?? '');
  if (!key) return `${thing} like this already exists`;
  const columns = key[1].split(', ');
  if (columns.length === 1 && ECHOED.has(columns[0]))
    return `${thing} with ${columns[0].replace(/_/g, ' ')} ${key[2]} already exists`;
  return `${thing} with the same ${columns.map((c) => c.replace(/_id$/, '').replace(/_/g, ' ')).join(' and ')} already exists`;
}
