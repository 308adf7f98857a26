import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { BrokerApi } from '../lib/api';
import { contextOf, type GlobalOptions } from '../lib/context';
import { CliError, EXIT } from '../lib/exit-codes';
import { deleteSession, readSession, writeSession, type SavedSession } from '../lib/session-store';
import { parseTimeout } from '../lib/wait';

/** What POST /auth/cli/token answers for a code and its verifier. */
interface IssuedToken {
  token: string;
  tokenId: string;
  expiresAt: string;
  person: { id: string; email: string };
}

/** login, logout, whoami. */
export function registerLoginCommands(program: Command): void {
  program
    .command('login')
    .description('sign in through your identity provider in the browser; keeps a token for the CLI')
    .option('--no-browser', 'only print the address to open')
    .option('--timeout <duration>', 'how long to wait for the browser', '5m')
    .addHelpText(
      'after',
      [
        '',
        'The browser signs in as for the console; the broker then hands this CLI a token of',
        'its own (named for this machine, expiring, revocable with `doorman logout`), kept',
        'readable only by you in $XDG_CONFIG_HOME/doorman (or ~/.config/doorman).',
        'Without a login, DOORMAN_TOKEN is used.',
        '',
        'Example:',
        '  doorman login --broker https://doorman.example.com',
      ].join('\n'),
    )
    .action(async (o: { browser: boolean; timeout: string }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const broker = (opts.broker ?? process.env.DOORMAN_URL ?? readSession()?.broker)?.replace(
        /\/+$/,
        '',
      );
      if (!broker)
        throw new CliError(
          EXIT.USAGE,
          'which broker? `doorman login --broker https://doorman.example.com`',
        );
      const session = await browserLogin(
        broker,
        o.browser,
        parseTimeout(o.timeout),
        opts.json === true,
      );
      const file = writeSession(session);
      const view = {
        broker,
        email: session.email,
        tokenId: session.tokenId,
        expiresAt: session.expiresAt,
        file,
      };
      process.stdout.write(
        opts.json
          ? `${JSON.stringify(view, null, 2)}\n`
          : `signed in to ${broker} as ${session.email} until ${session.expiresAt}\nnext: doorman ls\n`,
      );
    });

  program
    .command('logout')
    .description("revoke the CLI's token and forget it")
    .action(async (_o, cmd: Command) => {
      const saved = readSession();
      if (!saved) {
        process.stdout.write('not signed in (nothing saved)\n');
        return;
      }
      const api = new BrokerApi(saved.broker, saved.token);
      let revoked = true;
      try {
        await api.delete(`/users/${saved.userId}/tokens/${saved.tokenId}`);
      } catch (e) {
        // An expired or revoked token cannot revoke itself; it is dead already.
        if (!(e instanceof CliError) || e.exitCode !== EXIT.UNAUTHENTICATED) throw e;
        revoked = false;
      }
      deleteSession();
      const json = cmd.optsWithGlobals<GlobalOptions>().json === true;
      process.stdout.write(
        json
          ? `${JSON.stringify({ broker: saved.broker, revoked: true, tokenId: saved.tokenId })}\n`
          : `signed out of ${saved.broker}${revoked ? ' (token revoked)' : ' (the token had already ended)'}\n`,
      );
    });

  program
    .command('whoami')
    .description('who the broker takes you for')
    .action(async (_o, cmd: Command) => {
      const ctx = contextOf(cmd);
      const me = await ctx.api.get<{ email: string; roles: string[] }>('/users/me');
      ctx.print(
        { ...me, broker: ctx.api.baseUrl, via: ctx.session ? 'login' : 'DOORMAN_TOKEN' },
        () => `${me.email} (${me.roles.join(', ') || 'no roles'}) on ${ctx.api.baseUrl}`,
      );
    });
}

/**
 * The loopback flow (as gh and tsh do it): a one-off server on 127.0.0.1, the broker's sign-in in
 * the browser, the broker's redirect back with a one-time code, and the code exchanged with the
 * PKCE verifier, which never left this process, for a token.
 */
async function browserLogin(
  broker: string,
  openBrowser: boolean,
  timeoutMs: number,
  json: boolean,
): Promise<SavedSession> {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const state = randomBytes(16).toString('base64url');
  const { server, code } = await loopback(state);
  try {
    const port = (server.address() as AddressInfo).port;
    const url = `${broker}/auth/cli/login?${new URLSearchParams({ port: String(port), state, challenge }).toString()}`;
    process.stderr.write(`open this address to sign in:\n  ${url}\n`);
    // The broker's confirmation page shows the same code (from the state): a match says it is this login.
    process.stderr.write(
      `approve in the browser only if it shows the code ${state.slice(0, 4)}-${state.slice(4, 8)}\n`,
    );
    if (openBrowser) launch(url);
    if (!json) process.stderr.write('waiting for the browser…\n');
    const got = await withTimeout(code, timeoutMs);
    const issued = await new BrokerApi(broker, null).postPublic<IssuedToken>('/auth/cli/token', {
      code: got,
      verifier,
      client: hostname().slice(0, 60),
    });
    return {
      broker,
      token: issued.token,
      tokenId: issued.tokenId,
      userId: issued.person.id,
      email: issued.person.email,
      expiresAt: issued.expiresAt,
    };
  } finally {
    server.close();
  }
}

function loopback(state: string): Promise<{ server: Server; code: Promise<string> }> {
  let settle!: { resolve: (code: string) => void; reject: (e: Error) => void };
  const code = new Promise<string>((resolve, reject) => (settle = { resolve, reject }));
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback') {
      res.writeHead(404).end();
      return;
    }
    const error = url.searchParams.get('error');
    const got = url.searchParams.get('code');
    const ok = !error && got && url.searchParams.get('state') === state;
    res.writeHead(ok ? 200 : 400, { 'content-type': 'text/html; charset=utf-8' });
    res.end(
      ok
        ? '<!doctype html><title>Doorman</title><p>Signed in. You can close this tab and go back to the terminal.</p>'
        : '<!doctype html><title>Doorman</title><p>Sign-in failed; see the terminal.</p>',
    );
    if (ok) settle.resolve(got);
    else
      settle.reject(
        new CliError(
          EXIT.REFUSED,
          `sign-in failed: ${error ?? 'the answer did not match this login'}; run \`doorman login\` again`,
        ),
      );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, code }));
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new CliError(
            EXIT.TIMED_OUT,
            'the browser did not come back in time: run `doorman login` again',
          ),
        ),
      ms,
    );
    p.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e: unknown) => (clearTimeout(timer), reject(e as Error)),
    );
  });
}

/** The desktop's own opener; a failure only means the address has to be opened by hand. */
function launch(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // Printed above already.
  }
}
