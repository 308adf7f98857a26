import {
  type ArgumentsHost,
  type CallHandler,
  type CanActivate,
  Catch,
  createParamDecorator,
  type ExceptionFilter,
  type ExecutionContext,
  HttpException,
  Inject,
  Injectable,
  Logger,
  type NestInterceptor,
  PayloadTooLargeException,
} from '@nestjs/common';
import { json, type NextFunction, type Request, type Response } from 'express';
import type { Observable } from 'rxjs';
import { currentCorrelationId, requestLogId } from '../common/correlation';
import { domainErrorFromDatabase } from '../common/database-errors';
import { DomainError, ErrorCode } from '../common/errors';
import { FailedAuthLimiter } from '../common/rate-limit.guard';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import { scimCaller, type ScimCaller } from './scim-caller';
import { SCIM_CONTENT_TYPE, scimErrorBody, scimInvalid } from './scim-protocol';
import type { ScimProviderView } from './scim-providers.service';
import { ScimProvidersService } from './scim-providers.service';

type ScimRequest = Request & {
  scimProvider?: ScimProviderView;
  scimBase?: string;
  scimBodyError?: number;
};

const parseScimJson = json({ type: 'application/scim+json', limit: '100kb' });

/**
 * The application/scim+json body parser. A body it refuses (malformed, too large) is kept as
 * a status for ScimResponses to answer with a SCIM error: a middleware's own error would reach
 * only the app-wide filter, which answers in the REST API's shape.
 */
export function scimJsonParser(req: Request, res: Response, next: NextFunction): void {
  void parseScimJson(req, res, (err?: unknown) => {
    if (err) (req as ScimRequest).scimBodyError = (err as { status?: number }).status ?? 400;
    next();
  });
}

/** The provider's bearer token, and nothing else: Doorman's own tokens and cookies open no SCIM route. */
@Injectable()
export class ScimAuthGuard implements CanActivate {
  constructor(
    private readonly providers: ScimProvidersService,
    private readonly failures: FailedAuthLimiter,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<ScimRequest>();
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const provider = token ? await this.providers.authenticate(token) : null;
    if (!provider) {
      await this.failures.recordFailure(req.ip);
      throw new DomainError(
        ErrorCode.Unauthenticated,
        token ? 'invalid SCIM bearer token' : 'missing SCIM bearer token',
      );
    }
    req.scimProvider = provider;
    return true;
  }
}

/** The provider behind the call (ScimAuthGuard put it there) and its audit actor. */
export const Scim = createParamDecorator((_data: unknown, ctx: ExecutionContext): ScimCaller => {
  const req = ctx.switchToHttp().getRequest<ScimRequest>();
  return scimCaller(req.scimProvider!, req.ip);
});

/** Where SCIM is served from (ScimResponses put it there), for meta.location. */
export const ScimBase = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): string =>
    ctx.switchToHttp().getRequest<ScimRequest>().scimBase!,
);

/**
 * Every SCIM answer is application/scim+json (RFC 7644 §3.1; Express keeps a type set first),
 * and its locations are absolute: PUBLIC_URL's when set (the address behind a TLS proxy), else
 * the one the call came to.
 */
@Injectable()
export class ScimResponses implements NestInterceptor {
  constructor(@Inject(BROKER_CONFIG) private readonly config: BrokerConfig) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = ctx.switchToHttp().getRequest<ScimRequest>();
    const origin = this.config.PUBLIC_URL
      ? this.config.PUBLIC_URL.replace(/\/+$/, '')
      : `${req.protocol}://${req.get('host')}`;
    req.scimBase = `${origin}/api/v1/scim/v2`;
    ctx.switchToHttp().getResponse<Response>().type(SCIM_CONTENT_TYPE);
    if (req.scimBodyError === 413) throw new PayloadTooLargeException('the body is over 100kb');
    if (req.scimBodyError) throw scimInvalid('invalidSyntax', 'malformed request body');
    return next.handle();
  }
}

const STATUS: Record<ErrorCode, number> = {
  [ErrorCode.Validation]: 400,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.Unauthenticated]: 401,
  [ErrorCode.Conflict]: 409,
  [ErrorCode.IllegalTransition]: 409,
  [ErrorCode.NotGrantable]: 400,
};

/** Errors as SCIM error bodies (RFC 7644 §3.12); the unknown ones as a 500 with a correlation id. */
@Catch()
export class ScimExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(ScimExceptionFilter.name);

  catch(thrown: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const req = host.switchToHttp().getRequest<Request>();
    const error = domainErrorFromDatabase(thrown) ?? thrown;
    const send = (status: number, detail: string, scimType?: string) => {
      if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="doorman-scim"');
      res
        .status(status)
        .type(SCIM_CONTENT_TYPE)
        .json(scimErrorBody(status, detail, scimType));
    };
    if (error instanceof DomainError) {
      const scimType =
        typeof error.details?.scimType === 'string'
          ? error.details.scimType
          : error.code === ErrorCode.Validation
            ? 'invalidValue'
            : error.code === ErrorCode.Conflict
              ? 'uniqueness'
              : undefined;
      send(STATUS[error.code], error.message, scimType);
      return;
    }
    if (error instanceof HttpException) {
      send(error.getStatus(), error.message);
      return;
    }
    const status = (error as { status?: number }).status;
    if (status && status >= 400 && status < 500) {
      send(status, 'malformed request body', 'invalidSyntax');
      return;
    }
    const correlationId = currentCorrelationId() ?? requestLogId(req);
    this.logger.error(
      { err: error, correlationId, path: req.path },
      `unhandled error on ${req.method} ${req.path}`,
    );
    send(500, `internal error (correlation id ${correlationId})`);
  }
}
