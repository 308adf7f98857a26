import { TransactionHost } from '@nestjs-cls/transactional';
import type { AccessRequestEntity } from '../access-requests/access-request.entity';
import type {
  AccessRequestRepository,
  RequestChanges,
} from '../access-requests/access-request.repository';
import type { AuditInput, AuditService } from '../audit/audit.service';
import { ExpiryService } from './expiry.service';
import type { GrantSyncService } from './grant-sync.service';

// The service's transactions run as plain calls here: the fakes below hold no connection.
new TransactionHost({
  wrapWithTransaction: (_options: unknown, fn: () => Promise<unknown>) => fn(),
  getFallbackInstance: () => null,
} as never);

/** Our repository, in memory. */
class FakeRequests {
  rows = new Map<string, AccessRequestEntity>();
  failOnBatch = false;

  async lockForUpdate(id: string) {
    return this.rows.get(id) ?? null;
  }
  async lockMany(ids: readonly string[]) {
    if (this.failOnBatch) throw new Error('deadlock detected');
    return [...ids].sort().flatMap((id) => this.rows.get(id) ?? []);
  }
  async update(id: string, changes: RequestChanges) {
    Object.assign(this.rows.get(id)!, changes);
  }
  async updateMany(ids: readonly string[], changes: RequestChanges) {
    for (const id of ids) await this.update(id, changes);
  }
}

const now = new Date('2026-03-02T10:00:00Z');
const grant = (id: string, over: Partial<AccessRequestEntity> = {}) =>
  ({
    id,
    status: 'ACTIVE',
    requesterId: 'alice',
    integrationId: 'i1',
    expiresAt: new Date(now.getTime() - 1000),
    pendingExpiresAt: null,
    syncGeneration: 4,
    ...over,
  }) as AccessRequestEntity;

function expiryWith(...grants: AccessRequestEntity[]) {
  const requests = new FakeRequests();
  for (const g of grants) requests.rows.set(g.id, g);
  const audits: AuditInput[] = [];
  const syncs: string[] = [];
  const service = new ExpiryService(
    requests as unknown as AccessRequestRepository,
    {
      schedule: async (integrationId: string, personId: string) => {
        syncs.push(`${integrationId}/${personId}`);
        return 5;
      },
      scheduleMany: async (integrationId: string, personIds: readonly string[]) => {
        syncs.push(...personIds.map((p) => `${integrationId}/${p}`));
      },
    } as unknown as GrantSyncService,
    {
      record: async (a: AuditInput) => void audits.push(a),
      recordMany: async (as: readonly AuditInput[]) => void audits.push(...as),
    } as unknown as AuditService,
  );
  return { service, requests, audits, syncs };
}

describe('ExpiryService', () => {
  it('ends a grant past its time: REVOKING until its role is gone, audited, synced', async () => {
    const { service, requests, audits, syncs } = expiryWith(grant('g1'));
    expect(await service.expireGrant('g1', now)).toBe(true);
    expect(requests.rows.get('g1')).toMatchObject({
      status: 'REVOKING',
      statusReason: 'expired',
      endedAt: now,
      syncGeneration: null,
    });
    expect(audits.map((a) => [a.action, a.requestId])).toEqual([['grant.expired', 'g1']]);
    expect(syncs).toEqual(['i1/alice']);
  });

  it('leaves a grant whose time is not up, or that is no longer ACTIVE, as it is', async () => {
    const running = grant('g1', { expiresAt: new Date(now.getTime() + 1000) });
    const revoking = grant('g2', { status: 'REVOKING' });
    const { service, audits, syncs } = expiryWith(running, revoking);
    expect(await service.expireGrant('g1', now)).toBe(false);
    expect(await service.expireGrant('g2', now)).toBe(false);
    expect(running.status).toBe('ACTIVE');
    expect(revoking.status).toBe('REVOKING');
    expect(audits).toEqual([]);
    expect(syncs).toEqual([]);
  });

  it('ends the due grants of a batch with one sync per person', async () => {
    const { service, syncs } = expiryWith(
      grant('g1'),
      grant('g2'),
      grant('g3', { requesterId: 'bob' }),
      grant('g4', { expiresAt: new Date(now.getTime() + 60_000) }),
    );
    const ended = await service.expireGrants(['g1', 'g2', 'g3', 'g4'], now);
    expect([...ended].sort()).toEqual(['g1', 'g2', 'g3']);
    expect(syncs.sort()).toEqual(['i1/alice', 'i1/bob']);
  });

  it('ends timers that fired together one by one when their batch fails', async () => {
    const { service, requests } = expiryWith(grant('g1'), grant('g2'));
    requests.failOnBatch = true;
    // expireTogether runs at the real clock: the grants' expiry (now - 1 s) is long past.
    expect(await service.expireTogether(['g1', 'g2'])).toEqual([null, null]);
    expect(requests.rows.get('g1')!.status).toBe('REVOKING');
    expect(requests.rows.get('g2')!.status).toBe('REVOKING');
  });

  it('says why access is over when a reader finds it past its time, and ends it', async () => {
    const { service, requests } = expiryWith(grant('g1'));
    expect(await service.endIfLapsed(requests.rows.get('g1')!, now)).toBe(
      'this access ended at 2026-03-02T09:59:59.000Z',
    );
    expect(requests.rows.get('g1')!.status).toBe('REVOKING');
    const running = grant('g2', { expiresAt: new Date(now.getTime() + 1000) });
    expect(await service.endIfLapsed(running, now)).toBeNull();
  });
});
