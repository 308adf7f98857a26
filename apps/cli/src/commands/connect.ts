import { confirm, isCancel, text } from '@clack/prompts';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { contextOf, type Context } from '../lib/context';
import { CliError, EXIT } from '../lib/exit-codes';
import type { RequestView } from '../lib/format';
import { getRequest, resolveIntegration, type IntegrationView } from '../lib/lookups';
import { parseTimeout, waitForAccess } from '../lib/wait';
import { createRequest } from './access';

/** What POST /access-requests/:id/credentials answers (audited as a reveal). */
interface Credentials {
  host: string;
  port: number;
  database: string;
  username: string;
  password: string;
  sslMode: string;
  connectionString: string;
  caCertificate: string | null;
  customAccessDetails: string | null;
}

/** connect and creds: from a grant to a psql prompt or a GUI client's settings. */
export function registerConnectCommands(program: Command): void {
  program
    .command('connect')
    .description('open psql with your access (asks for it first when you have none)')
    .argument('<integration>', 'integration name or id')
    .argument('<database>', 'database to connect to')
    .option('--schema <schema>', 'the schema you need (search_path; and what to request)')
    .option('--exec <sql>', 'run this SQL and exit (psql -c), for scripts')
    .option('-p, --permission <level>', 'when requesting: the level to ask for', 'read')
    .option('-r, --reason <text>', 'when requesting: why')
    .option('-y, --yes', 'request without asking when you have no access (needs -r)')
    .option('--timeout <duration>', 'when requesting: stop waiting after this long (exit 4)')
    .addHelpText(
      'after',
      [
        '',
        'The password, CA and sslmode reach psql in its environment, never on its command line.',
        'psql exits with its own code (1 when the server refused a statement).',
        '',
        'Examples:',
        '  doorman connect prod-orders orders',
        "  doorman connect prod-orders orders --schema public --exec 'select count(*) from orders'",
        '  doorman connect prod-orders orders --schema public -y -r "INC-123"',
      ].join('\n'),
    )
    .action(
      async (
        name: string,
        database: string,
        o: {
          schema?: string;
          exec?: string;
          permission: string;
          reason?: string;
          yes?: boolean;
          timeout?: string;
        },
        cmd: Command,
      ) => {
        const ctx = contextOf(cmd);
        const integration = await resolveIntegration(ctx.api, name);
        const grant =
          (await activeGrant(ctx, integration, database, o.schema)) ??
          (await offerRequest(ctx, integration, database, o));
        const creds = await reveal(ctx, grant.id);
        process.exitCode = await runPsql(creds, { schema: o.schema, exec: o.exec });
      },
    );

  program
    .command('creds')
    .description('print the credentials of an active grant, for GUI clients (audited as a reveal)')
    .argument('<request>', 'request id (see `doorman ls`)')
    .requiredOption('--format <format>', 'env | json | url')
    .addHelpText(
      'after',
      '\nExamples:\n  eval "$(doorman creds 6f1c… --format env)" && psql\n  doorman creds 6f1c… --format url | pbcopy',
    )
    .action(async (id: string, o: { format: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      if (!['env', 'json', 'url'].includes(o.format))
        throw new CliError(EXIT.USAGE, `--format ${o.format}: use env, json or url`);
      await getRequest(ctx.api, id);
      const creds = await reveal(ctx, id);
      if (o.format === 'json' || ctx.json) return ctx.out(JSON.stringify(creds, null, 2));
      if (o.format === 'url') return ctx.out(creds.connectionString);
      const env = psqlEnv(creds, null);
      ctx.out(
        Object.entries(env)
          .map(([k, v]) => `export ${k}=${shellQuote(v)}`)
          .join('\n'),
      );
      if (creds.caCertificate)
        ctx.err('the CA is not in these variables: save it with --format json (caCertificate)');
    });
}

/** The caller's active grant on that database (and schema, when given), newest first. */
async function activeGrant(
  ctx: Context,
  integration: IntegrationView,
  database: string,
  schema: string | undefined,
): Promise<RequestView | null> {
  const mine = await ctx.api.get<RequestView[]>(
    '/access-requests?mine=true&status=ACTIVE&limit=500',
  );
  return (
    mine.find(
      (r) =>
        r.integrationId === integration.id &&
        (r.database === database || r.database === '*') &&
        (!schema || r.schema === schema || r.schema === '*'),
    ) ?? null
  );
}

/** No access: ask for it (a prompt at a terminal, -y in scripts), then wait for the approval. */
async function offerRequest(
  ctx: Context,
  integration: IntegrationView,
  database: string,
  o: { schema?: string; permission: string; reason?: string; yes?: boolean; timeout?: string },
): Promise<RequestView> {
  const schema = o.schema ?? 'public';
  const what = `${o.permission} on ${database}.${schema} of ${integration.name}`;
  const command = `doorman request ${integration.name} ${database}.${schema} ${o.permission} -r "<reason>" --wait`;
  let reason = o.reason;
  if (!o.yes) {
    if (!ctx.interactive)
      throw new CliError(
        EXIT.REFUSED,
        `you have no active access to ${database} on ${integration.name}.\nask for it: ${command}\n(or run connect again with -y -r "<reason>")`,
      );
    const go = await confirm({
      message: `You have no access to ${database} on ${integration.name}. Request ${what}?`,
    });
    if (isCancel(go) || !go) throw new CliError(EXIT.REFUSED, `not requested; later: ${command}`);
    if (!reason) {
      const answer = await text({
        message: 'Why do you need it?',
        placeholder: 'INC-123: check a refund',
      });
      if (isCancel(answer)) throw new CliError(EXIT.REFUSED, `not requested; later: ${command}`);
      reason = answer || undefined;
    }
  }
  const r = await createRequest(ctx, {
    integration: integration.id,
    database,
    schema,
    permission: o.permission,
    reason,
  });
  if (!ctx.json) ctx.err(`requested ${what}: ${r.id}`);
  return waitForAccess(ctx, r.id, o.timeout ? parseTimeout(o.timeout) : null);
}

function reveal(ctx: Context, id: string): Promise<Credentials> {
  return ctx.api.post<Credentials>(`/access-requests/${id}/credentials`);
}

/** libpq's own variables: psql reads them, and they stay out of every argument list. */
function psqlEnv(creds: Credentials, caFile: string | null): Record<string, string> {
  return {
    PGHOST: creds.host,
    PGPORT: String(creds.port),
    PGDATABASE: creds.database,
    PGUSER: creds.username,
    PGPASSWORD: creds.password,
    PGSSLMODE: creds.sslMode,
    ...(caFile ? { PGSSLROOTCERT: caFile } : {}),
  };
}

/**
 * psql with the credentials in its environment. The CA goes to a file only this user reads,
 * removed when psql ends. Resolves to psql's exit code.
 */
async function runPsql(creds: Credentials, o: { schema?: string; exec?: string }): Promise<number> {
  const dir = creds.caCertificate ? mkdtempSync(join(tmpdir(), 'doorman-')) : null;
  const caFile = dir ? join(dir, 'ca.pem') : null;
  if (caFile) writeFileSync(caFile, creds.caCertificate!, { mode: 0o600 });
  const env: NodeJS.ProcessEnv = { ...process.env, ...psqlEnv(creds, caFile) };
  // search_path, double-quoted as an identifier inside libpq's options.
  if (o.schema) env.PGOPTIONS = `-c search_path="${o.schema.replace(/"/g, '""')}"`;
  const args = o.exec === undefined ? [] : ['-v', 'ON_ERROR_STOP=1', '-c', o.exec];
  try {
    return await new Promise<number>((resolve, reject) => {
      const child = spawn(process.env.DOORMAN_PSQL || 'psql', args, { env, stdio: 'inherit' });
      child.once('error', (e: NodeJS.ErrnoException) =>
        reject(
          new CliError(
            EXIT.FAILED,
            e.code === 'ENOENT'
              ? 'psql is not installed (or not on PATH): install the PostgreSQL client, or use `doorman creds <request> --format env`'
              : `psql did not start: ${e.message}`,
          ),
        ),
      );
      // Ctrl-C belongs to psql (it cancels the running query), not to us.
      const ignore = () => undefined;
      process.on('SIGINT', ignore);
      child.once('exit', (code, signal) => {
        process.off('SIGINT', ignore);
        resolve(code ?? (signal ? 128 + 2 : 1));
      });
    });
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
