/** Why a connector job failed; sent to the broker as `error.code`. */
export enum ConnectorErrorCode {
  InvalidPayload = 'INVALID_PAYLOAD',
  NameClash = 'NAME_CLASH_UNMANAGED_ROLE',
  RoleOfAnotherPerson = 'ROLE_BELONGS_TO_ANOTHER_PERSON',
  GroupNameClash = 'GROUP_ROLE_NAME_CLASH',
  DatabaseMissing = 'DATABASE_MISSING',
  SchemaMissing = 'SCHEMA_MISSING',
  /** The connector's admin cannot give this (e.g. objects owned by a superuser, admin not one). */
  NotGrantable = 'NOT_GRANTABLE',
  InsufficientPrivilege = 'INSUFFICIENT_PRIVILEGE',
  AuthenticationFailed = 'AUTHENTICATION_FAILED',
  ConnectionFailed = 'CONNECTION_FAILED',
  ServerBusy = 'SERVER_BUSY',
  ConcurrentUpdate = 'CONCURRENT_UPDATE',
  Timeout = 'TIMEOUT',
  InvalidRequest = 'INVALID_REQUEST',
  DatabaseError = 'DATABASE_ERROR',
  Internal = 'INTERNAL',
}

/**
 * A classified failure. `retryable` decides between rethrowing (BullMQ retries with the
 * broker's backoff) and UnrecoverableError. Messages never contain secrets: they are built
 * from our own text and the server's error message, never from the SQL sent.
 */
export class ConnectorError extends Error {
  constructor(
    readonly code: ConnectorErrorCode,
    message: string,
    readonly retryable: boolean,
    readonly sqlstate?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ConnectorError';
  }

  static permanent(code: ConnectorErrorCode, message: string): ConnectorError {
    return new ConnectorError(code, message, false);
  }
}
