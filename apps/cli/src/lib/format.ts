/** Human output: short lines and time left, never a secret. */

export interface RequestView {
  id: string;
  status: string;
  statusReason: string | null;
  requesterId: string;
  integrationId: string;
  flowId: string | null;
  database: string;
  schema: string;
  permission: string;
  resource: string;
  duration: string;
  expiresAt: string | null;
  pendingExpiresAt: string | null;
  approverIds: string[];
  currentStep: number;
  lastError: string | null;
  justification: string | null;
  createdAt: string;
}

export function timeLeft(until: string | null, now = Date.now()): string {
  if (!until) return '';
  const s = Math.round((new Date(until).getTime() - now) / 1000);
  if (s <= 0) return 'ended';
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) return `${d}d${h ? ` ${h}h` : ''} left`;
  if (h) return `${h}h${m ? ` ${m}m` : ''} left`;
  return m ? `${m}m left` : `${s}s left`;
}

export function requestLine(r: RequestView, integrationName?: string): string {
  const where = `${integrationName ?? r.integrationId} ${r.resource}`;
  const left = r.status === 'ACTIVE' ? `  ${timeLeft(r.expiresAt)}` : '';
  return `${r.id}  ${r.status.padEnd(9)} ${r.permission.padEnd(6)} ${where}${left}`;
}

export function requestDetails(r: RequestView, integrationName?: string): string {
  const lines = [
    `request    ${r.id}`,
    `status     ${r.status}${r.statusReason ? ` (${r.statusReason})` : ''}`,
    `access     ${r.permission} on ${r.resource} of ${integrationName ?? r.integrationId}`,
    `duration   ${r.duration}`,
  ];
  if (r.justification) lines.push(`reason     ${r.justification}`);
  if (r.status === 'ACTIVE' && r.expiresAt)
    lines.push(`expires    ${r.expiresAt} (${timeLeft(r.expiresAt)})`);
  if (r.status === 'PENDING') {
    lines.push(`step       ${r.currentStep}`);
    if (r.pendingExpiresAt) lines.push(`unanswered ends ${r.pendingExpiresAt}`);
  }
  if (r.lastError) lines.push(`last error ${r.lastError}`);
  return lines.join('\n');
}

/** A table of plain columns, padded to the widest cell. */
export function table(rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
