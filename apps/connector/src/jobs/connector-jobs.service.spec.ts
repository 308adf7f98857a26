import { UnrecoverableError, type Job } from 'bullmq';
import pino from 'pino';
import { Writable } from 'node:stream';
import {
  parseConnectorMessage,
  type CleanupUserJob,
  type ConnectorMessage,
  type SyncUserJob,
} from '@doorman/contracts';
import { generateSealKeyPair, loadSealPublicKey, seal } from '@doorman/crypto';
import { cleanupJob, person, syncJob } from '../../../../test/support/connector-jobs';
import { ConnectorError, ConnectorErrorCode } from '../common/connector.error';
import { createLogger } from '../logging/logger';
import type { UserCleanupService } from '../postgres/user-cleanup.service';
import type { SyncOutcome, UserSyncService } from '../postgres/user-sync.service';
import {
  ConnectorJobsService,
  resultJobId,
  type JobTarget,
  type JobTargets,
} from './connector-jobs.service';
import type { DiscoveryService } from './discovery.service';
import type { ResultsPublisher } from './results.publisher';

const CONNECTOR = '9a3f5b5e-2f57-4b8a-9a55-1e2d3c4b5a69';

/** Fakes of our own services: they record what the boundary does with outcomes. */
class FakeResults {
  readonly sent: { message: ConnectorMessage; jobId?: string }[] = [];
  async publish(message: ConnectorMessage, jobId?: string): Promise<void> {
    const parsed = parseConnectorMessage(message);
    if (!parsed.ok) throw new Error(parsed.reason);
    this.sent.push({ message: parsed.value, jobId });
  }
}

/** One target serving every integration, as the env-configured target does. */
const onlyTarget = (target: JobTarget): JobTargets => ({
  forIntegration: () => target,
  describe: () => target.label,
});

function setup(sync: (job: SyncUserJob) => Promise<SyncOutcome>, targets?: JobTargets) {
  const results = new FakeResults();
  const lines: string[] = [];
  const logger = createLogger(
    'trace',
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    }),
  );
  const target: JobTarget = {
    label: 'default',
    sync: { sync },
    cleanup: {
      cleanup: async (_job: CleanupUserJob) => ({
        status: 'applied' as const,
        reassigned: ['app: table public.t'],
        effects: ['dropped role'],
      }),
    },
  };
  const service = new ConnectorJobsService(
    CONNECTOR,
    targets ?? onlyTarget(target),
    results as unknown as ResultsPublisher,
    logger,
  );
  return { service, results, lines };
}

const bullJob = (data: unknown, attemptsMade = 0, id = 'job-1') =>
  ({ id, name: 'sync-user', data, attemptsMade }) as unknown as Job;

const applied: SyncOutcome = {
  status: 'applied',
  startedAt: '2025-03-01T12:00:00.000Z',
  validUntil: '2025-03-01T13:00:00.000Z',
  sessionsTerminated: 0,
  effects: ['granted x'],
};

describe('ConnectorJobsService (job boundary)', () => {
  it('has a handler for every job kind of the contract', () => {
    expect(() => setup(async () => applied).service.assertHandlers()).not.toThrow();
  });

  it('reports one valid result per attempt with a deterministic id', async () => {
    const { service, results } = setup(async () => applied);
    const who = person();
    await expect(service.process(bullJob(syncJob(who, 3, []), 2))).resolves.toBe('applied');
    expect(results.sent).toHaveLength(1);
    expect(results.sent[0].jobId).toBe(resultJobId('job-1', 3));
    expect(results.sent[0].message).toMatchObject({
      kind: 'sync-user',
      status: 'applied',
      connectorId: CONNECTOR,
      personId: who.personId,
      generation: 3,
      attempt: 3,
    });
  });

  it('refuses a malformed payload as unrecoverable, naming the reason', async () => {
    const { service, results } = setup(async () => applied);
    const err = await service
      .process(bullJob({ v: 1, kind: 'sync-user' }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnrecoverableError);
    expect((err as Error).message).toMatch(/^invalid job payload: .*personId/);
    expect(results.sent).toHaveLength(0); // too little parsed to name the job
  });

  it('refuses an unknown contract version', async () => {
    const { service } = setup(async () => applied);
    await expect(service.process(bullJob({ ...syncJob(person(), 1, []), v: 2 }))).rejects.toThrow(
      /unsupported contract version 2/,
    );
  });

  it('rethrows a retryable failure after reporting it', async () => {
    const { service, results } = setup(async () => {
      throw Object.assign(new Error('the database system is shutting down'), { code: '57P03' });
    });
    const err = await service.process(bullJob(syncJob(person(), 1, []))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err).not.toBeInstanceOf(UnrecoverableError);
    expect(results.sent[0].message).toMatchObject({
      status: 'failed',
      error: { code: ConnectorErrorCode.ConnectionFailed, sqlstate: '57P03', retryable: true },
    });
  });

  it('turns a permanent failure into UnrecoverableError after reporting it', async () => {
    const { service, results } = setup(async () => {
      throw ConnectorError.permanent(
        ConnectorErrorCode.NameClash,
        'name clash with unmanaged role',
      );
    });
    const err = await service.process(bullJob(syncJob(person(), 1, []))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnrecoverableError);
    expect((err as Error).message).toContain('NAME_CLASH_UNMANAGED_ROLE');
    expect(results.sent[0].message).toMatchObject({
      status: 'failed',
      error: { code: ConnectorErrorCode.NameClash, retryable: false },
    });
  });

  it('handles cleanup jobs and reports reassigned objects', async () => {
    const { service, results } = setup(async () => applied);
    await service.process(bullJob(cleanupJob(person(), 2, ['app'])));
    expect(results.sent[0].message).toMatchObject({
      kind: 'cleanup-user',
      status: 'applied',
      reassigned: ['app: table public.t'],
    });
  });

  it('sends only the sealed password and logs neither it nor the box', async () => {
    const password = 'plain-Password-1234567890abcdef';
    const box = seal(password, loadSealPublicKey(generateSealKeyPair().publicKey));
    const { service, results, lines } = setup(async () => ({
      ...applied,
      sealedPassword: box,
      passwordIssuedAt: applied.startedAt,
    }));
    await service.process(bullJob(syncJob(person(), 1, [])));
    const sent = JSON.stringify(results.sent);
    expect(sent).toContain(box.ct);
    expect(sent).not.toContain(password);
    expect(lines.join('')).not.toContain(password);
    expect(lines.join('')).not.toContain(box.ct);
  });
});

describe('logger redaction', () => {
  it('redacts secrets by configuration', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (s: string) => lines.push(s) });
    logger.info({ password: 'p1', user: { password: 'p2' }, sealedPassword: { ct: 'c' } }, 'x');
    const line = lines.join('');
    expect(line).not.toMatch(/p1|p2|"ct"/);
    expect(line).toContain('[redacted]');
    expect(pino.levels.values.info).toBe(30);
  });

  it('rotate-admin: the outcome is reported and never retried by BullMQ; no handler → a clear failure', async () => {
    const { service, results } = setup(async () => applied);
    const job = {
      v: 1,
      kind: 'rotate-admin',
      integrationId: '5c1e9a1e-1111-4a4a-8b8b-222222222222',
      rotationId: '5c1e9a1e-3333-4a4a-8b8b-444444444444',
    };
    await expect(service.process(bullJob(job, 0, 'rot-1'))).resolves.toBe('failed');
    expect(results.sent[0].message).toMatchObject({
      kind: 'rotate-admin',
      status: 'failed',
      rotationId: job.rotationId,
      error: { code: 'INVALID_REQUEST' },
    });
  });

  it('discover: the catalog is reported once, a failure with its reason, never retried by BullMQ', async () => {
    const job = {
      v: 1,
      kind: 'discover',
      integrationId: '5c1e9a1e-1111-4a4a-8b8b-222222222222',
      discoveryId: '5c1e9a1e-5555-4a4a-8b8b-666666666666',
      databases: ['app'],
    };
    const report = {
      at: '2026-11-22T12:00:00.000Z',
      admin: {
        name: 'avnadmin',
        superuser: false,
        createrole: true,
        serverVersion: '15.4',
        versionNum: 150004,
        grantablePredefined: [],
      },
      databases: [{ name: 'app', owner: 'app_owner', publicConnect: true, schemas: [] }],
      doctor: [{ check: 'login', status: 'ok' as const, detail: 'logged in as avnadmin' }],
    };
    let fail = false;
    const discovery = {
      discover: async () => {
        if (fail) throw new ConnectorError(ConnectorErrorCode.ConnectionFailed, 'refused', true);
        return report;
      },
    } as unknown as DiscoveryService;
    const results = new FakeResults();
    const service = new ConnectorJobsService(
      CONNECTOR,
      onlyTarget({
        label: 'default',
        sync: {} as UserSyncService,
        cleanup: {} as UserCleanupService,
        discovery,
      }),
      results as unknown as ResultsPublisher,
      createLogger('silent'),
    );
    await expect(service.process(bullJob(job, 0, 'disc-1'))).resolves.toBe('applied');
    expect(results.sent[0]).toMatchObject({
      jobId: resultJobId('disc-1', 1),
      message: { kind: 'discover', status: 'applied', discoveryId: job.discoveryId, ...report },
    });
    fail = true;
    await expect(service.process(bullJob(job, 0, 'disc-2'))).resolves.toBe('failed');
    expect(results.sent[1].message).toMatchObject({
      kind: 'discover',
      status: 'failed',
      databases: [],
      error: { code: 'CONNECTION_FAILED', message: 'refused', retryable: true },
    });
    // Without a discovery service (a connector built for tests only): a clear failure.
    const bare = setup(async () => applied);
    await expect(bare.service.process(bullJob(job))).resolves.toBe('failed');
    expect(bare.results.sent[0].message).toMatchObject({ error: { code: 'INVALID_REQUEST' } });
  });

  it('runs each job on the target of its integration; one it does not serve fails for good, reported', async () => {
    const who = person();
    const job = syncJob(who, 1, []);
    const ran: string[] = [];
    const targetFor = (label: string): JobTarget => ({
      label,
      sync: {
        sync: async () => {
          ran.push(label);
          return applied;
        },
      },
      cleanup: {} as UserCleanupService,
    });
    const a = targetFor(job.integrationId);
    const lookup: JobTargets = {
      forIntegration: (id) => (id === job.integrationId ? a : undefined),
      describe: () => job.integrationId,
    };
    const { service, results } = setup(async () => applied, lookup);
    await expect(service.process(bullJob(job))).resolves.toBe('applied');
    expect(ran).toEqual([job.integrationId]);

    const other = { ...job, integrationId: '5c1e9a1e-9999-4a4a-8b8b-222222222222' };
    await expect(service.process(bullJob(other, 0, 'job-2'))).rejects.toBeInstanceOf(
      UnrecoverableError,
    );
    expect(ran).toHaveLength(1);
    expect(results.sent[1].message).toMatchObject({
      kind: 'sync-user',
      status: 'failed',
      integrationId: other.integrationId,
      error: {
        code: 'INVALID_REQUEST',
        retryable: false,
        message: expect.stringContaining(
          `does not serve integration ${other.integrationId}`,
        ) as unknown,
      },
    });
    const rotate = {
      v: 1,
      kind: 'rotate-admin',
      integrationId: other.integrationId,
      rotationId: '5c1e9a1e-5555-4a4a-8b8b-666666666666',
    };
    await expect(service.process(bullJob(rotate, 0, 'rot-1'))).resolves.toBe('failed');
    expect(results.sent[2].message).toMatchObject({
      kind: 'rotate-admin',
      status: 'failed',
      error: { code: 'INVALID_REQUEST', retryable: false },
    });
  });
});
