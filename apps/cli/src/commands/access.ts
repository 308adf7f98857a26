import type { Command } from 'commander';
import { contextOf, type Context } from '../lib/context';
import { requestDetails, requestLine, table, type RequestView } from '../lib/format';
import { getRequest, integrationNames, parseResource, resolveIntegration } from '../lib/lookups';
import { parseTimeout, waitForAccess } from '../lib/wait';

interface FlowView {
  id: string;
  name: string;
  integrationId: string;
  requestors: { userIds: string[]; groupIds: string[] };
  resources: { database: string; schema: string; role?: string }[];
  permissions: string[];
  maxDuration: string;
}

/** ls, request, status, extend, revoke: a requester's own access. */
export function registerAccessCommands(program: Command): void {
  program
    .command('ls')
    .description('what you may request, and what you hold now with the time left')
    .addHelpText('after', '\nExample:\n  doorman ls\n  doorman ls --json | jq ".active"')
    .action(async (_o, cmd: Command) => {
      const ctx = contextOf(cmd);
      const [me, names, flows, mine] = await Promise.all([
        ctx.api.get<{ id: string; email: string }>('/users/me'),
        integrationNames(ctx.api),
        ctx.api.get<FlowView[]>('/access-flows'),
        ctx.api.get<RequestView[]>('/access-requests?mine=true&limit=500'),
      ]);
      // A flow names people or groups; group membership is the broker's to judge, so a flow
      // with groups is listed (the broker refuses a request that it does not allow).
      const requestable = flows.filter(
        (f) => f.requestors.userIds.includes(me.id) || f.requestors.groupIds.length > 0,
      );
      const active = mine.filter((r) => r.status === 'ACTIVE');
      const pending = mine.filter((r) => ['PENDING', 'APPROVED', 'GRANTING'].includes(r.status));
      const may = requestable.flatMap((f) =>
        f.resources.map((r) => ({
          integration: names.get(f.integrationId) ?? f.integrationId,
          integrationId: f.integrationId,
          resource: r.role ? `role ${r.role}` : `${r.database}.${r.schema}`,
          permissions: f.permissions,
          maxDuration: f.maxDuration,
          flow: f.name,
        })),
      );
      ctx.print({ me, mayRequest: may, active, pending }, () => {
        const out: string[] = [`signed in as ${me.email}`, ''];
        out.push('You may request:');
        out.push(
          may.length
            ? table(
                may.map((m) => [
                  `  ${m.integration}`,
                  m.resource,
                  m.permissions.join('/'),
                  `up to ${m.maxDuration}`,
                  `(${m.flow})`,
                ]),
              )
            : '  nothing: no access flow names you; ask your security team',
        );
        out.push('', 'Active now:');
        out.push(
          active.length
            ? active.map((r) => `  ${requestLine(r, names.get(r.integrationId))}`).join('\n')
            : '  nothing; `doorman request <integration> <db>.<schema> <permission> -r <reason>`',
        );
        if (pending.length)
          out.push(
            '',
            'Waiting:',
            ...pending.map((r) => `  ${requestLine(r, names.get(r.integrationId))}`),
          );
        return out.join('\n');
      });
    });

  program
    .command('request')
    .description('ask for access; with --wait, wait until it is active')
    .argument('<integration>', 'integration name or id')
    .argument('<resource>', '<database>.<schema>, or "*.*" for everything')
    .argument('<permission>', 'read, write, … (the levels of the flow)')
    .argument('[duration]', "how long, e.g. 30m, 4h, 2d (default: the flow's)")
    .option('-r, --reason <text>', 'why you need it (most flows require one)')
    .option('--wait', 'wait until the access is active (Ctrl-C stops waiting)')
    .option('--timeout <duration>', 'with --wait: give up after this long (exit 4)')
    .option('--flow <id>', 'the flow to judge it, when several fit equally')
    .addHelpText(
      'after',
      '\nExamples:\n  doorman request prod-orders orders.public read 2h -r "INC-123 refund check" --wait\n  doorman request prod-orders "*.*" read -r "audit" --json',
    )
    .action(
      async (
        integration: string,
        resource: string,
        permission: string,
        duration: string | undefined,
        o: { reason?: string; wait?: boolean; timeout?: string; flow?: string },
        cmd: Command,
      ) => {
        const ctx = contextOf(cmd);
        const timeout = o.timeout ? parseTimeout(o.timeout) : null;
        const r = await createRequest(ctx, {
          integration,
          ...parseResource(resource),
          permission,
          duration,
          reason: o.reason,
          flowId: o.flow,
        });
        if (!o.wait) {
          ctx.print(r, () =>
            [
              requestLine(r, integration),
              r.status === 'PENDING'
                ? `waiting for approval: \`doorman status ${r.id}\`, or ask again with --wait`
                : '',
            ]
              .filter(Boolean)
              .join('\n'),
          );
          return;
        }
        const active = await waitForAccess(ctx, r.id, timeout);
        ctx.print(active, () =>
          [
            requestLine(active, integration),
            `connect: doorman connect ${integration} ${active.database}`,
          ].join('\n'),
        );
      },
    );

  program
    .command('status')
    .description('one request: its status, time left, the step it waits on')
    .argument('<request>', 'request id')
    .action(async (id: string, _o, cmd: Command) => {
      const ctx = contextOf(cmd);
      const r = await getRequest(ctx.api, id);
      const names = await integrationNames(ctx.api);
      ctx.print(r, () => requestDetails(r, names.get(r.integrationId)));
    });

  program
    .command('extend')
    .description(
      'ask for more time on an active grant (the flow decides whether it needs approval)',
    )
    .argument('<request>', 'request id')
    .argument('<duration>', 'how much longer, e.g. 1h')
    .option('-r, --reason <text>', 'why')
    .addHelpText('after', '\nExample:\n  doorman extend 6f1c… 1h -r "migration still running"')
    .action(async (id: string, duration: string, o: { reason?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      await getRequest(ctx.api, id);
      const r = await ctx.api.post<RequestView>(`/access-requests/${id}/extend`, {
        duration,
        ...(o.reason ? { justification: o.reason } : {}),
      });
      ctx.print(r, () =>
        `${requestLine(r)}\n${r.status === 'PENDING' ? `waiting for approval: \`doorman status ${r.id}\`` : ''}`.trimEnd(),
      );
    });

  program
    .command('revoke')
    .description('end access now (and the sessions it opened)')
    .argument('<request>', 'request id')
    .option('-r, --reason <text>', 'why')
    .action(async (id: string, o: { reason?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      await getRequest(ctx.api, id);
      const r = await ctx.api.post<RequestView>(
        `/access-requests/${id}/revoke`,
        o.reason ? { reason: o.reason } : {},
      );
      ctx.print(r, () => requestLine(r));
    });
}

export async function createRequest(
  ctx: Context,
  ask: {
    integration: string;
    database: string;
    schema: string;
    permission: string;
    duration?: string;
    reason?: string;
    flowId?: string;
  },
): Promise<RequestView> {
  const integration = await resolveIntegration(ctx.api, ask.integration);
  return ctx.api.post<RequestView>('/access-requests', {
    integrationId: integration.id,
    database: ask.database,
    schema: ask.schema,
    permission: ask.permission,
    ...(ask.duration ? { duration: ask.duration } : {}),
    ...(ask.reason ? { justification: ask.reason } : {}),
    ...(ask.flowId ? { flowId: ask.flowId } : {}),
  });
}
