/**
 * Services throw DomainError with a code; each edge (HTTP filter, Slack responder, job
 * boundary) maps codes to its own transport. Services never throw HTTP errors.
 */
export enum ErrorCode {
  Validation = 'VALIDATION',
  NotFound = 'NOT_FOUND',
  Forbidden = 'FORBIDDEN',
  Unauthenticated = 'UNAUTHENTICATED',
  Conflict = 'CONFLICT',
  IllegalTransition = 'ILLEGAL_TRANSITION',
  /** The integration's admin cannot grant what was asked (known from its catalog). */
  NotGrantable = 'NOT_GRANTABLE',
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }

  static notFound(what: string, id: string): DomainError {
    return new DomainError(ErrorCode.NotFound, `${what} ${id} not found`);
  }
  static forbidden(message: string): DomainError {
    return new DomainError(ErrorCode.Forbidden, message);
  }
  static validation(message: string, details?: Record<string, unknown>): DomainError {
    return new DomainError(ErrorCode.Validation, message, details);
  }
  static notGrantable(message: string, details?: Record<string, unknown>): DomainError {
    return new DomainError(ErrorCode.NotGrantable, message, details);
  }
  static conflict(message: string): DomainError {
    return new DomainError(ErrorCode.Conflict, message);
  }
}
