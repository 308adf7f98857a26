import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { TIMERS_QUEUE, connectorQueueName, connectorResultsQueueName } from '@doorman/contracts';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DomainEventBus, type DomainEvent } from '../audit/domain-events';
import { ConnectorsService } from '../connectors/connectors.service';
import { FaultMetrics } from '../grants/fault-metrics';
import { QueueRegistry } from '../outbox/queue-registry';
import { MetricsRepository } from './metrics.repository';
import { sweepDuration } from './operation-timings';
import { slackApiErrors } from './slack-api-errors';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed'] as const;

const seconds = (from: unknown, to: number): number | null => {
  if (typeof from !== 'string') return null;
  const t = Date.parse(from);
  return Number.isNaN(t) ? null : Math.max(0, (to - t) / 1000);
};

/**
 * The broker's Prometheus metrics (GET /metrics). Latencies come from committed audit events
 * (grant.activated, grant.revoked) so the services need no metrics code; gauges are read at
 * scrape time from PostgreSQL and BullMQ, never on a timer.
 */
@Injectable()
export class BrokerMetrics implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(BrokerMetrics.name);
  readonly registry = new Registry();
  private unsubscribe: (() => void) | null = null;

  readonly grantLatency = new Histogram({
    name: 'doorman_grant_latency_seconds',
    help: 'Approval decided → grant ACTIVE (connector applied it, broker recorded it)',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly revokeLatency = new Histogram({
    name: 'doorman_revoke_latency_seconds',
    help: 'Grant ended (revoke, expiry, revoke-all) → REVOKED recorded',
    labelNames: ['reason'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly expiryOverstay = new Histogram({
    name: 'doorman_expiry_overstay_seconds',
    help: 'expiresAt → REVOKED recorded, for grants that ended by expiry',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });

  readonly revokeResidue = new Counter({
    name: 'doorman_revoke_residue_total',
    help: 'What checks of the target after revokes found left behind: found, fixed by the connector, left',
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  constructor(
    private readonly bus: DomainEventBus,
    private readonly repo: MetricsRepository,
    private readonly queues: QueueRegistry,
    private readonly connectors: ConnectorsService,
    private readonly faults: FaultMetrics,
  ) {
    collectDefaultMetrics({ register: this.registry });
    this.registry.registerMetric(sweepDuration);
    this.defineScrapedMetrics();
  }

  onModuleInit(): void {
    this.unsubscribe = this.bus.subscribe((e) => Promise.resolve(this.onEvent(e)));
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** Published after commit (DomainEventBus), so a rolled-back change is never counted. */
  onEvent(e: DomainEvent, now = Date.now()): void {
    if (e.action === 'grant.activated') {
      const s = seconds(e.details.decidedAt, now);
      if (s !== null) this.grantLatency.observe(s);
    } else if (e.action === 'grant.revoked') {
      const reason = e.details.reason === 'expired' ? 'expired' : 'revoked';
      const s = seconds(e.details.endedAt, now);
      if (s !== null) this.revokeLatency.observe({ reason }, s);
      if (reason === 'expired') {
        const over = seconds(e.details.expiresAt, now);
        if (over !== null) this.expiryOverstay.observe(over);
      }
    } else if (e.action === 'revoke.residue') {
      const counts = e.details.counts as Partial<Record<'found' | 'fixed' | 'left', number>>;
      for (const outcome of ['found', 'fixed', 'left'] as const)
        this.revokeResidue.inc({ outcome }, counts?.[outcome] ?? 0);
    }
  }

  private defineScrapedMetrics(): void {
    const registers = [this.registry];
    const { repo, queues, connectors, faults, logger } = this;
    // A failed read leaves the previous value: a scrape never fails because one source is down.
    const guard = async (what: string, fn: () => Promise<void>) => {
      try {
        await fn();
      } catch (err) {
        logger.warn({ err, what }, 'metrics source unavailable');
      }
    };
    new Gauge({
      name: 'doorman_active_grants',
      help: 'Grants ACTIVE now',
      registers,
      async collect() {
        await guard('active grants', async () => this.set(await repo.activeGrants()));
      },
    });
    new Gauge({
      name: 'doorman_pending_requests',
      help: 'Requests waiting for a decision, by how long they have waited (upper bound)',
      labelNames: ['age'],
      registers,
      async collect() {
        await guard('pending requests', async () => {
          for (const [age, n] of Object.entries(await repo.pendingByAge())) this.set({ age }, n);
        });
      },
    });
    new Gauge({
      name: 'doorman_password_age_seconds',
      help: 'Age of the oldest password of a person with access now, per integration',
      labelNames: ['integration'],
      registers,
      async collect() {
        await guard('password age', async () => {
          this.reset();
          for (const r of await repo.oldestPasswordAge())
            this.set({ integration: r.integration }, r.seconds);
        });
      },
    });
    new Gauge({
      name: 'doorman_queue_jobs',
      help: 'Jobs per BullMQ queue and state (waiting + active + delayed + prioritized = depth)',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        await guard('queues', async () => {
          const ids = await repo.connectorIds();
          const names = [
            TIMERS_QUEUE,
            ...ids.map((id) => connectorQueueName(id)),
            ...ids.map((id) => connectorResultsQueueName(id)),
          ];
          const counts = await Promise.all(
            names.map((q) => queues.get(q).getJobCounts(...QUEUE_STATES)),
          );
          names.forEach((queue, i) => {
            for (const state of QUEUE_STATES) this.set({ queue, state }, counts[i][state] ?? 0);
          });
        });
      },
    });
    new Gauge({
      name: 'doorman_connector_last_heartbeat_seconds',
      help: 'Unix time of the last heartbeat from each connector',
      labelNames: ['connector', 'version'],
      registers,
      async collect() {
        await guard('connectors', async () => {
          this.reset();
          for (const c of await connectors.list())
            if (c.lastHeartbeatAt)
              this.set(
                { connector: c.name, version: c.version ?? 'unknown' },
                c.lastHeartbeatAt.getTime() / 1000,
              );
        });
      },
    });
    new Counter({
      name: 'doorman_reconcile_corrections_total',
      help: 'Drift the reconciler corrected (reconcile.corrected), since this broker started',
      registers,
      collect() {
        this.reset();
        this.inc(faults.reconcileCorrections);
      },
    });
    new Counter({
      name: 'doorman_revoke_alerts_total',
      help: 'Revokes still failing after the alert threshold, since this broker started',
      registers,
      collect() {
        this.reset();
        this.inc(faults.revokeAlerts);
      },
    });
    new Counter({
      name: 'doorman_slack_api_errors_total',
      help: 'Slack Web API calls that failed, by method and Slack error code',
      labelNames: ['method', 'code'],
      registers,
      collect() {
        this.reset();
        for (const e of slackApiErrors.values())
          this.inc({ method: e.method, code: e.code }, e.count);
      },
    });
  }
}
