import type { Job, Queue } from 'bullmq';
import type { Logger } from 'pino';
import { ConnectorError, ConnectorErrorCode } from '../common/connector.error';
import { promoteRetries, TargetReachability } from './target-reachability';

const logger = { warn: () => undefined, info: () => undefined } as unknown as Logger;
const unreachable = new ConnectorError(ConnectorErrorCode.ConnectionFailed, 'ECONNREFUSED', true);

describe('TargetReachability', () => {
  it('probes once a job finds the target unreachable, and wakes the retries when it answers', async () => {
    let up = false;
    let woken = 0;
    const r = new TargetReachability(
      async () => {
        if (!up) throw new Error('ECONNREFUSED');
      },
      async () => ++woken,
      logger,
      60_000,
    );
    r.onJobFailed(unreachable);
    expect(r.probing).toBe(true);
    await r.check();
    expect(woken).toBe(0);
    expect(r.probing).toBe(true);
    up = true;
    await r.check();
    expect(woken).toBe(1);
    expect(r.probing).toBe(false);
    r.close();
  });

  it('does not probe for failures other than an unreachable target', () => {
    const r = new TargetReachability(
      async () => undefined,
      async () => 0,
      logger,
      60_000,
    );
    r.onJobFailed(new ConnectorError(ConnectorErrorCode.SchemaMissing, 'no schema', false));
    r.onJobFailed(new Error('boom'));
    expect(r.probing).toBe(false);
  });
});

describe('promoteRetries', () => {
  it('promotes the jobs waiting for a retry, not those delayed on purpose', async () => {
    const promoted: string[] = [];
    const job = (id: string, attemptsMade: number, gone = false) =>
      ({
        id,
        attemptsMade,
        promote: async () => {
          if (gone) throw new Error('not delayed');
          promoted.push(id);
        },
      }) as unknown as Job;
    const queue = {
      getDelayed: async () => [job('retry', 3), job('scheduled', 0), job('taken', 1, true)],
    } as unknown as Queue;
    expect(await promoteRetries(queue)).toBe(1);
    expect(promoted).toEqual(['retry']);
  });
});
