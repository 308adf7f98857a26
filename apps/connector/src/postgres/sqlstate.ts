import { ConnectorError, ConnectorErrorCode } from '../common/connector.error';

/**
 * Classification of PostgreSQL failures by SQLSTATE only, never by message text: servers
 * may answer in any language (gravitational/teleport#37394).
 */

/** Socket-level errors from Node (no SQLSTATE): the server could not be reached. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

export function sqlstateOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** 42710 duplicate_object (e.g. role exists), 42P04 duplicate_database, 23505 on concurrent CREATE ROLE. */
export function isAlreadyExists(err: unknown): boolean {
  const s = sqlstateOf(err);
  return s === '42710' || s === '42P04' || s === '23505';
}

/** 42704 undefined_object: the role or membership to revoke or drop is already gone. */
export function isAlreadyGone(err: unknown): boolean {
  return sqlstateOf(err) === '42704';
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Maps any error thrown while talking to PostgreSQL onto a ConnectorError. */
export function classifyError(err: unknown): ConnectorError {
  if (err instanceof ConnectorError) return err;
  const sqlstate = sqlstateOf(err);
  const message = describe(err).slice(0, 1500);
  const make = (code: ConnectorErrorCode, retryable: boolean, text = message) =>
    new ConnectorError(code, text, retryable, sqlstate, { cause: err });

  if (sqlstate === undefined) {
    const errno = (err as { code?: unknown } | null)?.code;
    if (typeof errno === 'string' && NETWORK_CODES.has(errno)) {
      return make(ConnectorErrorCode.ConnectionFailed, true);
    }
    // Programming errors will not heal by retrying.
    if (err instanceof TypeError || err instanceof RangeError || err instanceof SyntaxError) {
      return make(ConnectorErrorCode.Internal, false);
    }
    // pg reports dropped connections and TLS failures without a code; treat as transient.
    return make(ConnectorErrorCode.ConnectionFailed, true);
  }

  switch (sqlstate) {
    case '3D000':
      return make(ConnectorErrorCode.DatabaseMissing, false, `database does not exist: ${message}`);
    case '3F000':
      return make(ConnectorErrorCode.SchemaMissing, false, `schema does not exist: ${message}`);
    case '42501':
      return make(ConnectorErrorCode.InsufficientPrivilege, false);
    case '53300': // too_many_connections
      return make(ConnectorErrorCode.ServerBusy, true);
    case '57014': // query_canceled: our statement_timeout
      return make(ConnectorErrorCode.Timeout, true);
    case '55P03': // lock_not_available
    case '55006': // object_in_use
    case 'XX000': // internal_error, notably "tuple concurrently updated"
      return make(ConnectorErrorCode.ConcurrentUpdate, true);
    default:
      break;
  }

  switch (sqlstate.slice(0, 2)) {
    case '08': // connection exception
      return make(ConnectorErrorCode.ConnectionFailed, true);
    case '57': // operator intervention: admin_shutdown, crash_shutdown, cannot_connect_now
      return make(ConnectorErrorCode.ConnectionFailed, true);
    case '53': // insufficient resources
    case '58': // system error (I/O)
      return make(ConnectorErrorCode.ServerBusy, true);
    case '40': // serialization_failure, deadlock_detected
      return make(ConnectorErrorCode.ConcurrentUpdate, true);
    case '28': // invalid authorization: the connector's own login no longer works.
      // Retryable: a revoke must not give up; it resumes once an operator fixes
      // the connector's credentials, and the broker shows the reason meanwhile.
      return make(ConnectorErrorCode.AuthenticationFailed, true);
    case '22': // data exception
    case '42': // syntax error or access rule violation
    case '0A': // feature not supported
      return make(ConnectorErrorCode.InvalidRequest, false);
    default:
      return make(ConnectorErrorCode.DatabaseError, false);
  }
}
