import { spinner } from '@clack/prompts';
import type { Context } from './context';
import { CliError, EXIT } from './exit-codes';
import type { RequestView } from './format';
import { getRequest } from './lookups';

/** Between looks at a broker too old to hold the call (it ignores `waitFor`). */
const POLL_MS = 1000;
/** The longest one held call asks the broker for (it allows 60 s). */
const HOLD_MS = 30_000;
/** The request has moved past the decision and the grant is on its way. */
const ON_ITS_WAY = new Set(['APPROVED', 'GRANTING']);

/** Who may decide the request's current step, by email (from the flow's own explanation). */
export async function approversOf(ctx: Context, r: RequestView): Promise<string[]> {
  const q = new URLSearchParams({
    integrationId: r.integrationId,
    database: r.database,
    schema: r.schema,
    permission: r.permission,
  });
  try {
    const why = await ctx.api.get<{
      flows: { flowId: string; steps: { step: number; approvers: { email: string }[] }[] }[];
    }>(`/access-flows/why?${q.toString()}`);
    const flow = why.flows.find((f) => f.flowId === r.flowId) ?? why.flows[0];
    const step = flow?.steps.find((s) => s.step === r.currentStep);
    return step?.approvers.map((a) => a.email) ?? [];
  } catch {
    return [];
  }
}

/**
 * Waits until the request is ACTIVE (resolves) or over without access (throws REFUSED), with
 * held calls (`?waitFor=ACTIVE`: the broker answers as soon as the request changes), not a
 * poll. A timeout or Ctrl-C leaves the request pending and says how to look again.
 */
export async function waitForAccess(
  ctx: Context,
  id: string,
  timeoutMs: number | null,
): Promise<RequestView> {
  let r = await getRequest(ctx.api, id);
  if (r.status === 'ACTIVE') return r;
  const approvers = r.status === 'PENDING' ? await approversOf(ctx, r) : [];
  // On stderr also under --json: whom to ask is for the person, the JSON for the script.
  ctx.err(
    approvers.length
      ? `waiting for ${approvers.join(', ')} to approve (Ctrl-C stops waiting; the request stays pending)`
      : 'waiting for a decision (Ctrl-C stops waiting; the request stays pending)',
  );
  const spin = ctx.interactive ? spinner() : null;
  spin?.start(`${r.status.toLowerCase()}: ${r.permission} on ${r.resource}`);
  const deadline = timeoutMs === null ? null : Date.now() + timeoutMs;
  let interrupted = false;
  const stop = new AbortController();
  const onSigint = () => {
    interrupted = true;
    stop.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    for (;;) {
      if (r.status === 'ACTIVE') {
        spin?.stop(`ACTIVE: ${r.permission} on ${r.resource}`);
        return r;
      }
      if (r.status !== 'PENDING' && !ON_ITS_WAY.has(r.status)) {
        spin?.stop(`${r.status}${r.statusReason ? `: ${r.statusReason}` : ''}`, 1);
        throw new CliError(
          EXIT.REFUSED,
          `request ${r.id} is ${r.status}${r.statusReason ? ` (${r.statusReason})` : ''}${r.lastError ? `: ${r.lastError}` : ''}`,
          r,
        );
      }
      if (interrupted || (deadline !== null && Date.now() >= deadline)) {
        spin?.stop(`still ${r.status}`, 1);
        throw new CliError(
          interrupted ? EXIT.INTERRUPTED : EXIT.TIMED_OUT,
          `stopped waiting; request ${r.id} is still ${r.status}: \`doorman status ${r.id}\` to look again`,
          r,
        );
      }
      const left = deadline === null ? HOLD_MS : Math.min(HOLD_MS, deadline - Date.now());
      try {
        const held = await ctx.api.getHeld<RequestView>(
          `/access-requests/${id}?waitFor=ACTIVE&timeout=${Math.max(1, Math.ceil(left))}ms`,
          'doorman-wait',
          stop.signal,
        );
        r = held.body;
        // A broker that answered at once without holding the call: look again a second later.
        if (held.header === null && (r.status === 'PENDING' || ON_ITS_WAY.has(r.status)))
          await pause(POLL_MS, () => interrupted);
      } catch (e) {
        if (!interrupted) throw e;
      }
      spin?.message(`${r.status.toLowerCase()}: ${r.permission} on ${r.resource}`);
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** Sleeps between polls, cut short by Ctrl-C. */
function pause(ms: number, stop: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const started = Date.now();
    const tick = setInterval(() => {
      if (stop() || Date.now() - started >= ms) {
        clearInterval(tick);
        resolve();
      }
    }, 50);
  });
}

/** `10m`, `90s`, `2h` → milliseconds (the broker's duration syntax). */
export function parseTimeout(text: string): number {
  const m = /^(\d{1,7})([smhd])$/.exec(text);
  if (!m) throw new CliError(EXIT.USAGE, `--timeout ${text}: use a duration like 90s, 10m, 2h`);
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit * 1000;
}
