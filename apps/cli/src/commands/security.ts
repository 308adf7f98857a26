import { confirm, isCancel } from '@clack/prompts';
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { contextOf } from '../lib/context';
import { CliError, EXIT } from '../lib/exit-codes';
import { resolveIntegration } from '../lib/lookups';

/** apply and revoke-all: for security and admins. */
export function registerSecurityCommands(program: Command): void {
  program
    .command('apply')
    .description('apply a policy file (people, groups, integrations, flows) through the API')
    .argument('<policy>', 'the policy YAML file')
    .option('--dry-run', 'say what would change, change nothing')
    .addHelpText(
      'after',
      '\nExample:\n  doorman apply policy.yaml --dry-run && doorman apply policy.yaml',
    )
    .action(async (file: string, o: { dryRun?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      if (!existsSync(file)) throw new CliError(EXIT.NOT_FOUND, `${file}: no such file`);
      const dryRun = o.dryRun === true;
      let out: { changes: string[] };
      try {
        out = await ctx.api.post('/policy/apply', { yaml: readFileSync(file, 'utf8'), dryRun });
      } catch (e) {
        // Each refusal as file:line, the way editors jump to it.
        if (e instanceof CliError)
          throw new CliError(
            e.exitCode,
            `${file}: ${e.message.replace(/^ {2}line /gm, `  ${file}:`)}`,
            e.body,
          );
        throw e;
      }
      ctx.print({ dryRun, ...out }, () =>
        [
          `${dryRun ? 'would change' : 'changed'}: ${out.changes.length === 0 ? 'nothing' : ''}`,
          ...out.changes.map((c) => `  ${c}`),
        ].join('\n'),
      );
    });

  program
    .command('revoke-all')
    .description('incident button: end every grant on an integration now')
    .argument('<integration>', 'integration name or id')
    .requiredOption('-r, --reason <text>', 'why (audited)')
    .option('-y, --yes', 'do not ask to confirm')
    .addHelpText(
      'after',
      '\nExample:\n  doorman revoke-all prod-orders -r "INC-9: leaked laptop" -y',
    )
    .action(async (name: string, o: { reason: string; yes?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const integration = await resolveIntegration(ctx.api, name);
      if (!o.yes) {
        if (!ctx.interactive)
          throw new CliError(EXIT.USAGE, "revoke-all ends everyone's access: add -y to confirm");
        const go = await confirm({
          message: `End every grant on ${integration.name} now?`,
          initialValue: false,
        });
        if (isCancel(go) || !go) throw new CliError(EXIT.REFUSED, 'nothing revoked');
      }
      const out = await ctx.api.post(`/integrations/${integration.id}/revoke-all`, {
        reason: o.reason,
      });
      ctx.print(out, () => `revoke-all on ${integration.name}: ${JSON.stringify(out)}`);
    });
}
