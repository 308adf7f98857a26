import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { JobError } from '@doorman/contracts';
import { generatePassword, scramSha256Verifier } from '@doorman/crypto';
import { ConnectorError, ConnectorErrorCode } from '../common/connector.error';
import * as sql from './sql';
import { classifyError } from './sqlstate';
import type { TargetClient } from './target-client';

export interface AdminRotationOutcome {
  status: 'applied' | 'failed';
  rotatedAt?: string;
  effects: string[];
  error?: JobError;
}

/**
 * Rotation of the connector's own login (as Vault's rotate-root does): new password →
 * ALTER ROLE CURRENT_USER with its SCRAM verifier → a fresh login verified → the secret file
 * replaced atomically (mode 0600) → the pools switched. Any failure puts the old password
 * back (existing sessions stay authenticated, so that is always possible) and is reported.
 * The password never leaves this process: not in logs, results or Redis.
 */
export class AdminRotationService {
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly target: TargetClient,
    private readonly secretFile: string | undefined,
    private current: string | undefined,
    private readonly logger: Logger,
  ) {}

  /** One rotation at a time. */
  rotate(): Promise<AdminRotationOutcome> {
    const next = this.running.then(() => this.rotateOnce());
    this.running = next.catch(() => undefined);
    return next;
  }

  private async rotateOnce(): Promise<AdminRotationOutcome> {
    const effects: string[] = [];
    if (!this.secretFile)
      return failed(
        effects,
        ConnectorError.permanent(
          ConnectorErrorCode.InvalidRequest,
          'no admin secret file (ADMIN_SECRET_FILE, or adminSecret.file in the targets file): a rotated password would not survive a restart; nothing changed',
        ),
      );
    const old = this.current;
    if (!old)
      return failed(
        effects,
        ConnectorError.permanent(
          ConnectorErrorCode.InvalidRequest,
          'the current admin password is not known (no password configured); nothing changed',
        ),
      );
    const password = generatePassword();
    const tmp = join(
      dirname(this.secretFile),
      `.${basename(this.secretFile)}.${randomBytes(6).toString('hex')}.tmp`,
    );
    // 1. The new secret written beside the file first: a directory we cannot write to fails
    //    here, before anything changed on the server.
    try {
      await writeSecret(tmp, password);
    } catch (err) {
      return failed(effects, fileError('could not write the secret file', err));
    }
    let altered = false;
    try {
      await this.target.query(sql.alterCurrentUserPassword(scramSha256Verifier(password)));
      altered = true;
      effects.push('set a new password (SCRAM verifier)');
      await this.target.verifyLogin(password);
      effects.push('verified a fresh login with it');
      try {
        await rename(tmp, this.secretFile);
      } catch (err) {
        throw fileError('could not replace the secret file', err);
      }
      effects.push(`replaced ${this.secretFile} (mode 0600)`);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      if (altered) await this.restore(old, effects);
      return failed(effects, classifyError(err));
    }
    this.target.swapPassword(password);
    this.current = password;
    effects.push('switched the connection pools');
    this.logger.info({ secretFile: this.secretFile }, 'admin password rotated');
    return { status: 'applied', rotatedAt: new Date().toISOString(), effects };
  }

  private async restore(old: string, effects: string[]): Promise<void> {
    try {
      await this.target.query(sql.alterCurrentUserPassword(scramSha256Verifier(old)));
      effects.push('put the old password back');
    } catch (err) {
      // The pool's open sessions are authenticated, so this should not happen; if it does,
      // the operator must know at once: the secret file still holds the old password.
      this.logger.error({ err }, 'could not put the old admin password back');
      effects.push('COULD NOT put the old password back: the admin login needs an operator');
    }
  }
}

async function writeSecret(path: string, password: string): Promise<void> {
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.writeFile(
      `${JSON.stringify({ password, rotatedAt: new Date().toISOString() })}\n`,
      'utf8',
    );
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function fileError(what: string, err: unknown): ConnectorError {
  const code = (err as { code?: unknown } | null)?.code;
  return ConnectorError.permanent(
    ConnectorErrorCode.Internal,
    `${what}${typeof code === 'string' ? ` (${code})` : ''}`,
  );
}

function failed(effects: string[], e: ConnectorError): AdminRotationOutcome {
  return {
    status: 'failed',
    effects,
    error: {
      code: e.code,
      message: e.message.slice(0, 2000),
      sqlstate: e.sqlstate,
      retryable: e.retryable,
    },
  };
}
