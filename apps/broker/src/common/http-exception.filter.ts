import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { currentCorrelationId, requestLogId } from './correlation';
import { domainErrorFromDatabase } from './database-errors';
import { DomainError, ErrorCode } from './errors';

const STATUS: Record<ErrorCode, number> = {
  [ErrorCode.Validation]: HttpStatus.BAD_REQUEST,
  [ErrorCode.NotFound]: HttpStatus.NOT_FOUND,
  [ErrorCode.Forbidden]: HttpStatus.FORBIDDEN,
  [ErrorCode.Unauthenticated]: HttpStatus.UNAUTHORIZED,
  [ErrorCode.Conflict]: HttpStatus.CONFLICT,
  [ErrorCode.IllegalTransition]: HttpStatus.CONFLICT,
  [ErrorCode.NotGrantable]: HttpStatus.UNPROCESSABLE_ENTITY,
};

/**
 * Where errors meet HTTP: domain errors become their status with the reason; anything
 * unknown becomes a generic 500 carrying the request's correlation id — the one in its log
 * lines and x-correlation-id header — so a caller's report leads to the stack in the log.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(thrown: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const req = host.switchToHttp().getRequest<Request>();
    // A unique index lost to a concurrent create, or a value PostgreSQL cannot hold: 409 / 400.
    const error = domainErrorFromDatabase(thrown) ?? thrown;
    if (error instanceof DomainError) {
      res
        .status(STATUS[error.code])
        .json({ error: error.code, message: error.message, ...error.details });
      return;
    }
    if (error instanceof HttpException) {
      const status = error.getStatus();
      const body = error.getResponse();
      const message =
        typeof body === 'string'
          ? body
          : ((body as { message?: unknown }).message ?? error.message);
      res.status(status).json({
        error: status === 413 ? 'PAYLOAD_TOO_LARGE' : (HttpStatus[status] ?? 'ERROR'),
        message: Array.isArray(message)
          ? message.join('; ')
          : typeof message === 'string'
            ? message
            : error.message,
      });
      return;
    }
    const status = (error as { status?: number; type?: string }).status;
    if (status && status >= 400 && status < 500) {
      // body-parser errors (malformed JSON, too large) carry a status of their own.
      res.status(status).json({ error: 'BAD_REQUEST', message: 'malformed request body' });
      return;
    }
    const correlationId = currentCorrelationId() ?? requestLogId(req);
    this.logger.error(
      { err: error, correlationId, path: req.path },
      `unhandled error on ${req.method} ${req.path}`,
    );
    res.status(500).json({ error: 'INTERNAL', message: 'internal error', correlationId });
  }
}
