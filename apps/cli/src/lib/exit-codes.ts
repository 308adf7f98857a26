/**
 * The CLI's exit codes are part of its contract (scripts branch on them); docs/cli.md lists
 * them. A broker answer maps by its HTTP status, a request's end by its status.
 */
export const EXIT = {
  OK: 0,
  /** Anything unexpected: the broker unreachable, a 5xx, a psql that could not start. */
  FAILED: 1,
  /** Bad arguments, or a body the broker refused as invalid (400). */
  USAGE: 2,
  /** Not allowed (403, 422), an illegal transition (409), a request denied or ended unanswered. */
  REFUSED: 3,
  /** --wait gave up before the request was decided; the request stays pending. */
  TIMED_OUT: 4,
  /** No token, or the broker does not accept it (401): `doorman login`. */
  UNAUTHENTICATED: 5,
  /** No such request, integration or file (404). */
  NOT_FOUND: 6,
  /** Ctrl-C while waiting; the request stays pending. */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the user can act on: the message says what to do next. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
    /** The broker's answer, for --json. */
    readonly body?: unknown,
  ) {
    super(message);
  }
}

export function exitCodeForStatus(status: number): ExitCode {
  if (status === 400) return EXIT.USAGE;
  if (status === 401) return EXIT.UNAUTHENTICATED;
  if (status === 404) return EXIT.NOT_FOUND;
  if (status === 403 || status === 409 || status === 422 || status === 429) return EXIT.REFUSED;
  return EXIT.FAILED;
}
