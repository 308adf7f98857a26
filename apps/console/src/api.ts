/**
 * The console's only way to the broker: the same REST API as every other client, with the
 * session cookie (httpOnly, never readable here) and the session's CSRF token on every call
 * that changes something. The token lives in memory only — never in web storage or a URL.
 */
let csrfToken: string | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export interface FieldError {
  field: string;
  message: string;
}

/** An answer other than 2xx, worded as the API worded it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: FieldError[] = [],
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
  }

  /** The message for one field of a form, if the API named it. */
  fieldMessage(field: string): string | undefined {
    return this.fields.find((f) => f.field === field || f.field.startsWith(`${field}.`))?.message;
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const changes = method !== 'GET' && method !== 'HEAD';
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: {
      accept: 'application/json',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(changes && csrfToken ? { 'x-csrf-token': csrfToken } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = { message: text };
  }
  if (!res.ok) {
    const b = (parsed ?? {}) as Record<string, unknown>;
    throw new ApiError(
      res.status,
      typeof b.error === 'string' ? b.error : String(res.status),
      typeof b.message === 'string' ? b.message : `${res.status} ${res.statusText}`,
      Array.isArray(b.fields) ? (b.fields as FieldError[]) : [],
      b,
    );
  }
  return parsed as T;
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => api<T>('POST', path, body);

/** A query string from the set values only. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
