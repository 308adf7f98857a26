import { parseConnectorMessage, type ConnectorMessage } from '@doorman/contracts';
import { createLogger } from '../logging/logger';
import { HeartbeatService, type HeartbeatTarget } from './heartbeat.service';
import type { ResultsPublisher } from './results.publisher';

const CONNECTOR = '9a3f5b5e-2f57-4b8a-9a55-1e2d3c4b5a69';
const A = '0b7c2a4e-1f0d-4c1e-9a57-0f4a3b2c1d01';
const B = '0b7c2a4e-1f0d-4c1e-9a57-0f4a3b2c1d02';

class FakeResults {
  readonly sent: { message: ConnectorMessage; jobId?: string }[] = [];
  async publish(message: ConnectorMessage, jobId?: string): Promise<void> {
    const parsed = parseConnectorMessage(message);
    if (!parsed.ok) throw new Error(parsed.reason);
    this.sent.push({ message: parsed.value, jobId });
  }
}

const logger = createLogger('silent');
const target = (
  integrationId: string | undefined,
  serverVersion: () => Promise<string>,
): HeartbeatTarget => ({
  integrationId,
  label: integrationId ?? 'default',
  client: { serverVersion },
  logger,
});

describe('HeartbeatService', () => {
  it('beats once per target, naming its integration; one that does not answer is reported without a version', async () => {
    const results = new FakeResults();
    const service = new HeartbeatService(
      CONNECTOR,
      60_000,
      [
        target(A, async () => 'PostgreSQL 17.2'),
        target(B, () => Promise.reject(new Error('ECONNREFUSED'))),
      ],
      results as unknown as ResultsPublisher,
      logger,
    );
    await service.beat();
    const byJob = new Map(results.sent.map((s) => [s.jobId, s.message]));
    expect(byJob.get(`heartbeat-${CONNECTOR}-${A}`)).toMatchObject({
      kind: 'heartbeat',
      integrationId: A,
      serverVersion: 'PostgreSQL 17.2',
    });
    const b = byJob.get(`heartbeat-${CONNECTOR}-${B}`);
    expect(b).toMatchObject({ kind: 'heartbeat', integrationId: B });
    // Unreachable: the heartbeat still goes out, with no version (the message's JSON has none).
    expect(JSON.parse(JSON.stringify(b))).not.toHaveProperty('serverVersion');
    expect([...service.reachable]).toEqual([
      [A, true],
      [B, false],
    ]);
    expect(service.lastSentAt).toBeInstanceOf(Date);
  });

  it('the one env-configured target beats as before: one heartbeat naming no integration', async () => {
    const results = new FakeResults();
    const service = new HeartbeatService(
      CONNECTOR,
      60_000,
      [target(undefined, async () => 'PostgreSQL 15.8')],
      results as unknown as ResultsPublisher,
      logger,
    );
    await service.beat();
    expect(results.sent).toHaveLength(1);
    expect(results.sent[0].jobId).toBe(`heartbeat-${CONNECTOR}`);
    expect(results.sent[0].message).not.toHaveProperty('integrationId');
  });
});
