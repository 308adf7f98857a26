import { Command, CommanderError } from 'commander';
import { registerAccessCommands } from './commands/access';
import { registerApprovalCommands } from './commands/approvals';
import { registerCompletionCommand } from './commands/completion';
import { registerConnectCommands } from './commands/connect';
import { registerLoginCommands } from './commands/login';
import { registerReceiptCommands } from './commands/receipt';
import { registerSecurityCommands } from './commands/security';
import { CliError, EXIT } from './lib/exit-codes';

const EXIT_CODES_HELP = `
Exit codes: 0 ok · 1 failed (broker unreachable, unexpected) · 2 usage · 3 refused (403, 409,
denied) · 4 timed out (the request stays pending) · 5 not signed in · 6 not found · 130 Ctrl-C.

Broker: --broker, else DOORMAN_URL, else the one of \`doorman login\`.
Token:  the one of \`doorman login\`, else DOORMAN_TOKEN.

Examples:
  doorman login --broker https://doorman.example.com
  doorman ls
  doorman request prod-orders orders.public read 2h -r "INC-123" --wait
  doorman connect prod-orders orders --schema public
  doorman inbox
`;

export function buildProgram(version: string): Command {
  const program = new Command('doorman')
    .description('Just-in-time access to PostgreSQL, from the terminal')
    .version(version)
    .option('--broker <url>', 'the broker (default: DOORMAN_URL, or the one you logged in to)')
    .option('--json', 'print JSON for scripts (no prompts, no spinner)')
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride();
  registerLoginCommands(program);
  registerAccessCommands(program);
  registerConnectCommands(program);
  registerApprovalCommands(program);
  registerSecurityCommands(program);
  registerReceiptCommands(program);
  registerCompletionCommand(program);
  for (const c of program.commands) c.exitOverride();
  return program;
}

/** Runs the CLI and says how it ended; never throws. */
export async function run(argv: string[], version: string): Promise<number> {
  const program = buildProgram(version);
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (e) {
    if (e instanceof CommanderError)
      // Help and --version end here too, successfully; any other parse failure is a usage error.
      return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    if (e instanceof CliError) {
      if (json)
        process.stdout.write(
          `${JSON.stringify({ error: e.message, exitCode: e.exitCode, ...(e.body ? { broker: e.body } : {}) }, null, 2)}\n`,
        );
      process.stderr.write(`doorman: ${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(`doorman: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT.FAILED;
  }
}
