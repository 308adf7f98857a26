import type { AccessRequestEntity } from '../access-requests/access-request.entity';
import type { ApprovalEntity } from '../approvals/approval.entity';
import type { AuditEventEntity } from '../audit/audit-event.entity';
import { buildReceipt, endedHow, type ReceiptFacts } from './receipt';
import { canonicalize } from './receipt-signature';

const at = (m: number) => new Date(Date.UTC(2026, 0, 1, 12, m));
const ALICE = '00000000-0000-4000-8000-00000000000a';
const BOB = '00000000-0000-4000-8000-00000000000b';
const SEC = '00000000-0000-4000-8000-00000000000c';

function request(over: Partial<AccessRequestEntity> = {}): AccessRequestEntity {
  return {
    id: '10000000-0000-4000-8000-000000000001',
    requesterId: ALICE,
    integrationId: '20000000-0000-4000-8000-000000000002',
    flowId: '30000000-0000-4000-8000-000000000003',
    flowVersion: 4,
    flowName: 'orders read',
    database: 'app',
    schema: 'public',
    permission: 'read',
    durationSeconds: 3600,
    justification: 'INC-7',
    status: 'REVOKED',
    statusReason: 'expired',
    decidedBy: BOB,
    decidedAt: at(1),
    grantedAt: at(2),
    expiresAt: at(62),
    endedAt: at(62),
    endedBy: null,
    kind: 'access',
    extendsRequestId: null,
    approverIds: [BOB],
    breakGlass: false,
    createdAt: at(0),
    ...over,
  } as AccessRequestEntity;
}

let nextId = 1;
function event(action: string, minute: number, over: Partial<AuditEventEntity> = {}) {
  return {
    id: String(nextId++),
    seq: null,
    hash: null,
    at: at(minute),
    action,
    actorId: null,
    actorType: 'system',
    channel: 'system',
    requestId: '10000000-0000-4000-8000-000000000001',
    integrationId: null,
    details: {},
    sourceAddress: null,
    ...over,
  } as AuditEventEntity;
}

const approval = (over: Partial<ApprovalEntity> = {}): ApprovalEntity => ({
  id: 'a1',
  requestId: '10000000-0000-4000-8000-000000000001',
  step: 0,
  approverId: BOB,
  decision: 'approve',
  reason: null,
  channel: 'console',
  at: at(1),
  ...over,
});

const verification = {
  checkedAt: at(62).toISOString(),
  clean: false,
  found: [
    { kind: 'privilege' as const, object: 'table "public"."orders"', detail: 'SELECT by "owner"' },
    { kind: 'owned' as const, object: 'table public.scratch', detail: 'left in place' },
  ],
  fixed: [
    { kind: 'privilege' as const, object: 'table "public"."orders"', detail: 'SELECT by "owner"' },
  ],
};

function facts(over: Partial<ReceiptFacts> = {}): ReceiptFacts {
  return {
    issuer: 'https://doorman.example.com',
    request: request(),
    integration: { id: '20000000-0000-4000-8000-000000000002', name: 'prod-orders' },
    approvals: [approval()],
    events: [
      event('request.created', 0, { actorId: ALICE, channel: 'api' }),
      event('request.approved', 1, {
        actorId: BOB,
        channel: 'console',
        details: {
          step: 1,
          authentication: {
            method: 'oidc',
            authTime: at(0).toISOString(),
            acr: 'phr',
            amr: ['hwk'],
          },
        },
      }),
      event('grant.activated', 2, {
        actorType: 'connector',
        details: {
          username: 'alice_doorman',
          generation: 3,
          validUntil: at(62).toISOString(),
          effects: ['GRANT "doorman_app_public_read" TO "alice_doorman"', 'VALID UNTIL …'],
        },
      }),
      event('grant.expired', 62, { details: { expiresAt: at(62).toISOString() } }),
      event('grant.revoked', 63, {
        details: {
          generation: 4,
          effects: ['REVOKE "doorman_app_public_read" FROM "alice_doorman"', 'NOLOGIN'],
          sessionsTerminated: 2,
          verification,
        },
      }),
    ],
    emails: new Map([
      [ALICE, 'alice@example.com'],
      [BOB, 'bob@example.com'],
      [SEC, 'sec@example.com'],
    ]),
    databaseUser: { username: 'alice_doorman', revokeVerification: null },
    sessions: { observed: false, sessions: [] },
    ...over,
  };
}

describe('an access receipt', () => {
  it('says who asked for what and why, who approved how, every SQL effect, how it ended and the check after', () => {
    const r = buildReceipt(facts());
    expect(r).toMatchObject({
      type: 'doorman.access-receipt',
      version: 1,
      issuer: 'https://doorman.example.com',
      status: 'REVOKED',
      outcome: 'ended',
      request: {
        requester: { id: ALICE, email: 'alice@example.com' },
        integration: { name: 'prod-orders' },
        resource: 'app.public',
        permission: 'read',
        duration: '1h',
        justification: 'INC-7',
        flow: { id: '30000000-0000-4000-8000-000000000003', version: 4, name: 'orders read' },
      },
      approvals: [
        {
          step: 1,
          by: { id: BOB, email: 'bob@example.com' },
          decision: 'approve',
          channel: 'console',
          authentication: {
            method: 'browser-session',
            authTime: at(0).toISOString(),
            acr: 'phr',
            amr: ['hwk'],
          },
        },
      ],
      access: {
        databaseUser: 'alice_doorman',
        grantedAt: at(2).toISOString(),
        validUntil: at(62).toISOString(),
        effects: [
          {
            event: 'grant.activated',
            generation: 3,
            statements: [expect.stringContaining('GRANT'), 'VALID UNTIL …'],
          },
          {
            event: 'grant.revoked',
            generation: 4,
            statements: [expect.stringContaining('REVOKE'), 'NOLOGIN'],
            sessionsTerminated: 2,
          },
        ],
      },
      sessionsObserved: false,
      sessions: [],
      ended: {
        how: 'expired',
        at: at(62).toISOString(),
        by: null,
        appliedAt: at(63).toISOString(),
      },
      verification: {
        source: 'grant',
        clean: false,
        left: [verification.found[1]],
      },
    });
    expect(r.auditEvents.map((e) => e.action)).toEqual([
      'request.created',
      'request.approved',
      'grant.activated',
      'grant.expired',
      'grant.revoked',
    ]);
  });

  it('is the same bytes from the same records (so the same digest)', () => {
    const f = facts();
    expect(canonicalize(buildReceipt(f))).toBe(
      canonicalize(buildReceipt({ ...f, events: [...f.events] })),
    );
  });

  it('for a denied request: never access, who denied and why, no effects and no check', () => {
    const r = buildReceipt(
      facts({
        request: request({
          status: 'DENIED',
          statusReason: 'not during the freeze',
          grantedAt: null,
          expiresAt: null,
          endedAt: at(1),
        }),
        approvals: [
          approval({ decision: 'deny', reason: 'not during the freeze', channel: 'slack' }),
        ],
        events: [
          event('request.created', 0, { actorId: ALICE }),
          event('request.denied', 1, {
            actorId: BOB,
            details: {
              step: 1,
              reason: 'not during the freeze',
              authentication: { method: 'token' },
            },
          }),
        ],
      }),
    );
    expect(r).toMatchObject({
      outcome: 'never-granted',
      access: null,
      verification: null,
      approvals: [{ decision: 'deny', channel: 'slack', authentication: { method: 'token' } }],
      ended: {
        how: 'denied',
        by: { id: BOB, email: 'bob@example.com' },
        reason: 'not during the freeze',
        appliedAt: null,
      },
    });
  });

  it('names an automatic approval, and a revoke by someone, with the sessions observed', () => {
    const session = {
      pid: 4242,
      database: 'app',
      clientAddr: '10.0.0.7',
      applicationName: 'psql',
      startedAt: at(5).toISOString(),
      lastSeenAt: at(9).toISOString(),
      endedAt: at(10).toISOString(),
    };
    const r = buildReceipt(
      facts({
        request: request({ statusReason: 'revoked', endedBy: SEC, endedAt: at(10) }),
        approvals: [],
        events: [
          event('request.auto_approved', 0),
          event('grant.activated', 1, { details: { username: 'alice_doorman', effects: [] } }),
          event('grant.revoke_requested', 10, { actorId: SEC }),
          event('grant.revoked', 11, { details: { effects: [] } }),
        ],
        sessions: { observed: true, sessions: [session] },
      }),
    );
    expect(r.approvals).toEqual([
      expect.objectContaining({ by: null, channel: 'auto', decision: 'approve' }),
    ]);
    expect(r.ended).toMatchObject({ how: 'revoked', by: { email: 'sec@example.com' } });
    expect(r).toMatchObject({ sessionsObserved: true, sessions: [session] });
  });

  it('takes the check from the residue event, else the user’s latest check taken after the end', () => {
    const residue = event('revoke.residue', 63, {
      details: {
        checkedAt: verification.checkedAt,
        found: verification.found,
        fixed: verification.fixed,
      },
    });
    const base = facts().events.slice(0, 4);
    expect(buildReceipt(facts({ events: [...base, residue] })).verification).toMatchObject({
      source: 'residue-event',
      clean: false,
      left: [verification.found[1]],
    });
    const clean = { checkedAt: at(63).toISOString(), clean: true, found: [], fixed: [] };
    expect(
      buildReceipt(
        facts({ events: base, databaseUser: { username: 'u', revokeVerification: clean } }),
      ).verification,
    ).toMatchObject({ source: 'database-user', clean: true, left: [] });
    // A check from before this grant ended belongs to another ending: not this one's.
    const older = { ...clean, checkedAt: at(30).toISOString() };
    expect(
      buildReceipt(
        facts({ events: base, databaseUser: { username: 'u', revokeVerification: older } }),
      ).verification,
    ).toBeNull();
  });

  it('says how each ending happened', () => {
    const how = (status: string, statusReason: string | null = null) =>
      endedHow({ status, statusReason } as AccessRequestEntity);
    expect(how('ACTIVE')).toBeNull();
    expect(how('REVOKED', 'expired')).toBe('expired');
    expect(how('REVOKED', 'revoke-all: incident 4')).toBe('revoke-all');
    expect(how('REVOKED', 'requester alice@example.com deactivated')).toBe('deactivated');
    expect(how('REVOKING', 'done for today')).toBe('revoked');
    expect(how('DENIED', 'revoke-all: incident 4')).toBe('revoke-all');
    expect(how('CANCELLED')).toBe('cancelled');
    expect(how('EXPIRED')).toBe('unanswered');
    expect(how('FAILED', 'E: x')).toBe('failed');
  });
});
