import type { Command } from 'commander';
import { contextOf } from '../lib/context';
import { requestLine, table, timeLeft, type RequestView } from '../lib/format';
import { getRequest, integrationNames } from '../lib/lookups';

/** inbox, approve, deny: for approvers. */
export function registerApprovalCommands(program: Command): void {
  program
    .command('inbox')
    .description('requests waiting for your decision')
    .addHelpText('after', '\nExample:\n  doorman inbox && doorman approve <id>')
    .action(async (_o, cmd: Command) => {
      const ctx = contextOf(cmd);
      const [me, names, pending] = await Promise.all([
        ctx.api.get<{ id: string }>('/users/me'),
        integrationNames(ctx.api),
        ctx.api.get<RequestView[]>('/access-requests?status=PENDING&limit=500'),
      ]);
      const mine = pending.filter((r) => r.approverIds.includes(me.id) && r.requesterId !== me.id);
      ctx.print(mine, () =>
        mine.length
          ? table(
              mine.map((r) => [
                r.id,
                `${r.permission} on ${r.resource} of ${names.get(r.integrationId) ?? r.integrationId}`,
                r.duration,
                r.justification ? `"${r.justification}"` : '',
                r.pendingExpiresAt ? `(unanswered ends: ${timeLeft(r.pendingExpiresAt)})` : '',
              ]),
            ) + '\n\n`doorman approve <id>` or `doorman deny <id> -r <reason>`'
          : 'nothing waits for you',
      );
    });

  for (const decision of ['approve', 'deny'] as const)
    program
      .command(decision)
      .description(
        decision === 'approve' ? 'approve the current step of a request' : 'deny a request',
      )
      .argument('<request>', 'request id (see `doorman inbox`)')
      .option('-r, --reason <text>', 'why (shown to the requester)')
      .action(async (id: string, o: { reason?: string }, cmd: Command) => {
        const ctx = contextOf(cmd);
        await getRequest(ctx.api, id);
        const r = await ctx.api.post<RequestView>(
          `/access-requests/${id}/${decision}`,
          o.reason ? { reason: o.reason } : {},
        );
        ctx.print(r, () => requestLine(r));
      });
}
