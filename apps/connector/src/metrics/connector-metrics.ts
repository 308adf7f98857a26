import { createServer, type Server } from 'node:http';
import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import {
  CONNECTOR_CONFIG,
  CONNECTOR_VERSION,
  type ConnectorConfig,
} from '../config/connector.config';
import { LOGGER } from '../logging/logger';

/**
 * Where the metrics read the last heartbeat's time (the heartbeat service, bound in the
 * connector module): metrics depend on this shape, not on the jobs that send heartbeats.
 */
export const HEARTBEAT_CLOCK = Symbol('HEARTBEAT_CLOCK');
export interface HeartbeatClock {
  readonly lastSentAt: Date | null;
  /** Whether each target (integration id, or `default`) answered the last heartbeat. */
  readonly reachable: ReadonlyMap<string, boolean>;
}

/**
 * The connector's Prometheus metrics, served on their own port (METRICS_PORT, default 9464)
 * by a bare node:http server: the connector has no HTTP API otherwise. A port already in use
 * is reported and the connector runs on without metrics — never a reason to stop revoking.
 */
@Injectable()
export class ConnectorMetrics implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly registry = new Registry();
  private server: Server | null = null;

  private readonly processed = new Counter({
    name: 'doorman_connector_jobs_processed_total',
    help: 'Jobs that finished without error, by kind and integration',
    labelNames: ['kind', 'integration_id'],
    registers: [this.registry],
  });
  private readonly failed = new Counter({
    name: 'doorman_connector_jobs_failed_total',
    help: 'Job attempts that failed, by kind and integration (retryable ones are retried)',
    labelNames: ['kind', 'integration_id'],
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'doorman_connector_job_duration_seconds',
    help: 'Time one job attempt took, from pick-up to result sent',
    labelNames: ['kind', 'integration_id'],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  });

  constructor(
    @Inject(CONNECTOR_CONFIG) private readonly config: ConnectorConfig,
    @Inject(HEARTBEAT_CLOCK) heartbeat: HeartbeatClock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'doorman_connector_last_heartbeat_seconds',
      help: 'Unix time of the last heartbeat this connector sent (0 before the first)',
      registers: [this.registry],
      collect() {
        this.set(heartbeat.lastSentAt ? heartbeat.lastSentAt.getTime() / 1000 : 0);
      },
    });
    new Gauge({
      name: 'doorman_connector_target_up',
      help: 'Whether the target of an integration answered the last heartbeat (1) or not (0)',
      labelNames: ['integration_id'],
      registers: [this.registry],
      collect() {
        for (const [integration, up] of heartbeat.reachable)
          this.set({ integration_id: integration }, up ? 1 : 0);
      },
    });
    new Gauge({
      name: 'doorman_connector_info',
      help: 'This connector: id and version (always 1)',
      labelNames: ['connector_id', 'version'],
      registers: [this.registry],
    }).set({ connector_id: config.connectorId, version: CONNECTOR_VERSION }, 1);
  }

  /**
   * Runs one job attempt, counting and timing it by kind (the BullMQ job name) and the
   * integration its target serves (`default` for the env-configured one).
   */
  async track<T>(kind: string, integration: string, work: () => Promise<T>): Promise<T> {
    const labels = { kind, integration_id: integration };
    const stop = this.duration.startTimer(labels);
    try {
      const out = await work();
      this.processed.inc(labels);
      return out;
    } catch (err) {
      this.failed.inc(labels);
      throw err;
    } finally {
      stop();
    }
  }

  /** The port actually bound (METRICS_PORT=0 picks a free one), or null when not serving. */
  get port(): number | null {
    const addr = this.server?.address();
    return addr && typeof addr === 'object' ? addr.port : null;
  }

  async onApplicationBootstrap(): Promise<void> {
    const { metricsHost: host, metricsPort: port } = this.config;
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url !== '/metrics' && req.url !== '/')) {
        res.writeHead(404).end();
        return;
      }
      this.registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(body),
        (err: unknown) => {
          this.logger.warn({ err }, 'metrics scrape failed');
          res.writeHead(500).end();
        },
      );
    });
    await new Promise<void>((resolve) => {
      server.once('error', (err) => {
        this.logger.warn({ err, host, port }, 'metrics port unavailable; running without /metrics');
        resolve();
      });
      server.listen(port, host, () => {
        this.server = server;
        this.logger.info({ host, port: this.port }, 'metrics listening');
        resolve();
      });
    });
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
