import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const CORRELATION_HEADER = 'x-correlation-id';

/** A caller's id is kept when it is short and plain; anything else gets a fresh one. */
const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,100}$/;

const store = new AsyncLocalStorage<{ id: string }>();

/** The correlation id of the HTTP request (REST or Slack) this code runs for, if any. */
export function currentCorrelationId(): string | undefined {
  return store.getStore()?.id;
}

/**
 * Accepts `x-correlation-id` or generates one, echoes it in the response, and makes it the
 * request's log id (pino-http's genReqId reads `req.id`) and the correlation id of every job
 * the request causes (the sync job carries it to the connector and back in the result).
 */
export function correlationMiddleware(
  req: IncomingMessage & { id?: unknown },
  res: ServerResponse,
  next: () => void,
): void {
  const header = req.headers[CORRELATION_HEADER];
  const id = typeof header === 'string' && ACCEPTABLE.test(header) ? header : randomUUID();
  req.id = id;
  res.setHeader(CORRELATION_HEADER, id);
  store.run({ id }, next);
}

/** For pino-http: the id correlationMiddleware chose (it runs first). */
export function requestLogId(req: IncomingMessage & { id?: unknown }): string {
  return typeof req.id === 'string' ? req.id : randomUUID();
}
