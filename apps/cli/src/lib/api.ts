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

  /**
   * A GET that the broker may hold (a long-poll such as `?waitFor=…`), cut short by `signal`;
   * with the answer's `name` header (null from a broker that does not know the parameter).
   */
  async getHeld<T = unknown>(
    path: string,
    header: string,
    signal: AbortSignal,
  ): Promise<{ body: T; header: string | null }> {
    let value: string | null = null;
    const body = await this.call<T>('GET', path, undefined, {
      signal,
      onHeaders: (h) => (value = h.get(header)),
    });
    return { body, header: value };
  }

  delete<T = unknown>(path: string): Promise<T> {
    return this.call<T>('DELETE', path);
  }

  /** Outside /api/v1 (the CLI's sign-in routes), without a token. */
  async postPublic<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.send<T>('POST', `${this.baseUrl}${path}`, body, false);
  }

  private call<T>(method: string, path: string, body?: unknown, opts?: SendOptions): Promise<T> {
    if (!this.token)
      throw new CliError(
        EXIT.UNAUTHENTICATED,
        'not signed in: run `doorman login`, or set DOORMAN_TOKEN to an API token',
      );
    return this.send<T>(method, `${this.baseUrl}/api/v1${path}`, body, true, opts);
  }

  private async send<T>(
    method: string,
    url: string,
    body: unknown,
    auth: boolean,
    opts: SendOptions = {},
  ): Promise<T> {
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
        signal: opts.signal,
      });
    } catch (e) {
      // Stopped by the caller (Ctrl-C during a held call): theirs to handle, not a network fault.
      if (opts.signal?.aborted) throw e;
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
    opts.onHeaders?.(res.headers);
    const text = await res.text();
    const parsed: unknown = text ? safeJson(text) : null;
    if (res.ok) return parsed as T;
    throw new CliError(exitCodeForStatus(res.status), brokerMessage(res.status, parsed), parsed);
  }
}

interface SendOptions {
  signal?: AbortSignal;
  onHeaders?: (headers: Headers) => void;
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
