import { CliError, EXIT, exitCodeForStatus } from './exit-codes';

/** A client of the broker's REST API (/api/v1), with the caller's bearer token. */
export class BrokerApi {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | null,
  ) {}

  get<T = unknown>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T = unknown>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('POST', path, body ?? {});
  }

  delete<T = unknown>(path: string): Promise<T> {
    return this.call<T>('DELETE', path);
  }

  /** Outside /api/v1 (the CLI's sign-in routes), without a token. */
  async postPublic<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.send<T>('POST', `${this.baseUrl}${path}`, body, false);
  }

  private call<T>(method: string, path: string, body?: unknown): Promise<T> {
    if (!this.token)
      throw new CliError(
        EXIT.UNAUTHENTICATED,
        'not signed in: run `doorman login`, or set DOORMAN_TOKEN to an API token',
      );
    return this.send<T>(method, `${this.baseUrl}/api/v1${path}`, body, true);
  }

  private async send<T>(method: string, url: string, body: unknown, auth: boolean): Promise<T> {
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          ...(auth ? { authorization: `Bearer ${this.token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          accept: 'application/json',
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      // fetch says "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND…) is in its cause.
      const c = (e as { cause?: { code?: string; errors?: { code?: string }[] } }).cause;
      const cause =
        c?.code ??
        c?.errors?.[0]?.code ??
        (c as Error | undefined)?.message ??
        (e as Error).message;
      throw new CliError(
        EXIT.FAILED,
        `cannot reach the broker at ${this.baseUrl} (${cause}): check --broker or DOORMAN_URL`,
      );
    }
    const text = await res.text();
    const parsed: unknown = text ? safeJson(text) : null;
    if (res.ok) return parsed as T;
    throw new CliError(exitCodeForStatus(res.status), brokerMessage(res.status, parsed), parsed);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 500) };
  }
}

/** The broker's own words, with each refused field, and what to do next for a 401. */
function brokerMessage(status: number, body: unknown): string {
  const b = (body ?? {}) as {
    message?: unknown;
    fields?: { field: string; message: string }[];
    errors?: { line?: number; path?: string; message: string }[];
  };
  const message = Array.isArray(b.message)
    ? b.message.join('; ')
    : typeof b.message === 'string'
      ? b.message
      : `HTTP ${status}`;
  const details = [
    ...(b.fields ?? []).map((f) => `  ${f.field}: ${f.message}`),
    ...(b.errors ?? []).map(
      (e) => `  line ${e.line ?? '?'}: ${e.path ? `${e.path}: ` : ''}${e.message}`,
    ),
  ];
  const next =
    status === 401
      ? '\nyour token is missing, expired or revoked: run `doorman login` (or set DOORMAN_TOKEN)'
      : '';
  return [message, ...details].join('\n') + next;
}
