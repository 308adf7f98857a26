import { CONTRACT_VERSION, type Residue, type SyncUserResult } from '@doorman/contracts';
import {
  residueCounts,
  residueEvent,
  residueLeft,
  verificationColumns,
} from './revoke-verification';

const TABLE: Residue = {
  kind: 'privilege',
  object: 'table "shop"."orders" in database "app"',
  detail: 'SELECT granted by "app_owner"',
};
const OWNED: Residue = {
  kind: 'owned',
  object: 'table work.scratch in database "app"',
  detail: 'owned by "alice"; left in place',
};

const result = (verification?: SyncUserResult['verification']): SyncUserResult => ({
  v: CONTRACT_VERSION,
  kind: 'sync-user',
  connectorId: '5b0a6f0e-3a1d-4b7e-9a55-0c1d2e3f4a5b',
  jobId: 'sync:1',
  integrationId: '3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
  personId: '7d9f1c1e-7a53-4a4e-9d0f-3a6a1b0c2d11',
  username: 'alice_doorman',
  generation: 4,
  attempt: 1,
  status: 'applied',
  sessionsTerminated: 0,
  effects: [],
  verification,
});

describe('what the broker records of a revoke verification', () => {
  const dirty = {
    checkedAt: '2026-01-01T12:00:00.000Z',
    clean: false,
    found: [TABLE, { ...OWNED, detail: `${OWNED.detail}; still there` }],
    fixed: [TABLE],
  };

  it('stores the latest check with the database user, and nothing when none came', () => {
    expect(verificationColumns(result(dirty))).toEqual({
      revokeVerification: dirty,
      revokeVerifiedAt: new Date('2026-01-01T12:00:00.000Z'),
    });
    expect(verificationColumns(result())).toEqual({});
  });

  it('audits a check that found something, with what is left; a clean one is not an event', () => {
    expect(residueLeft(dirty).map((r) => r.kind)).toEqual(['owned']);
    expect(residueCounts(dirty)).toEqual({ found: 2, fixed: 1, left: 1 });
    const event = residueEvent(result(dirty), ['c0a80101-0000-4000-8000-000000000001']);
    expect(event).toMatchObject({
      action: 'revoke.residue',
      actorType: 'connector',
      requestId: 'c0a80101-0000-4000-8000-000000000001',
      details: {
        username: 'alice_doorman',
        generation: 4,
        counts: { found: 2, fixed: 1, left: 1 },
      },
    });
    expect(residueEvent(result(dirty), ['a', 'b'])?.requestId).toBeNull();
    const clean = { checkedAt: dirty.checkedAt, clean: true, found: [], fixed: [] };
    expect(residueEvent(result(clean), [])).toBeNull();
    expect(residueEvent(result(), [])).toBeNull();
  });
});
