import type { AuditEventEntity } from './audit-event.entity';

/**
 * Audit export formats, pure: JSON lines, CSV, and CADF — the DMTF Cloud Auditing
 * Data Federation event model that IBM Cloud's activity tracking uses.
 */
export const EXPORT_FORMATS = ['jsonl', 'csv', 'cadf'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export function eventJson(e: AuditEventEntity) {
  return {
    id: e.id,
    seq: e.seq,
    at: e.at.toISOString(),
    action: e.action,
    actorId: e.actorId,
    actorType: e.actorType,
    channel: e.channel,
    sourceAddress: e.sourceAddress,
    requestId: e.requestId,
    integrationId: e.integrationId,
    details: e.details,
    hash: e.hash,
  };
}

export const CSV_HEADER =
  'id,seq,at,action,actor_id,actor_type,channel,source_address,request_id,integration_id,details,hash\n';

function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  // Quote always when needed; a leading = + - @ is prefixed so spreadsheets never run it as a formula.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) || safe !== s ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function eventCsv(e: AuditEventEntity): string {
  const j = eventJson(e);
  return (
    [
      j.id,
      j.seq,
      j.at,
      j.action,
      j.actorId,
      j.actorType,
      j.channel,
      j.sourceAddress,
      j.requestId,
      j.integrationId,
      j.details,
      j.hash,
    ]
      .map(csvField)
      .join(',') + '\n'
  );
}

const CADF_ACTIONS: Array<[RegExp, string]> = [
  [/\.created$|\.requested$|^request\.created$/, 'create'],
  [/\.approved$|auto_approved$|break_glass$/, 'authorize'],
  [/\.denied$|\.expired$/, 'deny'],
  [/revealed$/, 'read'],
  [/revoke|\.deleted$|cleanup/, 'delete'],
  [/\.updated$|extended$|activated$|escalated$|rotat|reconcile|applied$|closed$/, 'update'],
];

function cadfAction(action: string): string {
  return CADF_ACTIONS.find(([re]) => re.test(action))?.[1] ?? 'monitor';
}

function cadfOutcome(action: string): 'success' | 'failure' {
  return /failed|denied|alert/.test(action) ? 'failure' : 'success';
}

/** Events that end a request's story: each points at the request's signed access receipt. */
const RECEIPT_ENDINGS = new Set<string>([
  'grant.revoked',
  'request.denied',
  'request.cancelled',
  'request.expired',
  'sync.failed',
]);

/**
 * Where the receipt is and the keys that check it (docs/receipts.md). The receipt lists this
 * event with its chain hash, so the two stay tied without the export building every receipt.
 */
function receiptAttachment(e: AuditEventEntity, publicUrl: string) {
  if (!e.requestId || !RECEIPT_ENDINGS.has(e.action)) return [];
  const base = publicUrl.replace(/\/+$/, '');
  return [
    {
      name: 'receipt',
      typeURI: 'application/json',
      content: {
        href: `${base}/api/v1/access-requests/${e.requestId}/receipt`,
        keys: `${base}/.well-known/doorman-receipt-keys`,
        auditEventHash: e.hash,
      },
    },
  ];
}

/** `publicUrl`: the broker's PUBLIC_URL, for links that work outside it ('' keeps them relative). */
export function eventCadf(e: AuditEventEntity, publicUrl = '') {
  return {
    typeURI: 'http://schemas.dmtf.org/cloud/audit/1.0/event',
    id: `doorman-audit-${e.id}`,
    eventType: 'activity',
    eventTime: e.at.toISOString(),
    action: cadfAction(e.action),
    outcome: cadfOutcome(e.action),
    reason: { reasonType: 'doorman', reasonCode: e.action },
    initiator: {
      typeURI: e.actorType === 'user' ? 'service/security/account/user' : 'service/security',
      id: e.actorId ?? `doorman-${e.actorType}`,
      ...(e.sourceAddress ? { host: { address: e.sourceAddress } } : {}),
    },
    target: {
      typeURI: e.requestId ? 'data/security/access-request' : 'data/database',
      id: e.requestId ?? e.integrationId ?? 'doorman',
    },
    observer: { typeURI: 'service/security', id: 'doorman-broker', name: 'Doorman' },
    tags: [`channel:${e.channel}`, ...(e.integrationId ? [`integration:${e.integrationId}`] : [])],
    attachments: [
      { name: 'details', typeURI: 'application/json', content: e.details },
      ...receiptAttachment(e, publicUrl),
    ],
    ...(e.hash
      ? {
          measurements: [
            { metric: { metricId: 'chain', unit: 'sha256', name: 'hash' }, result: e.hash },
          ],
        }
      : {}),
  };
}
