import type { Logger } from 'pino';
import type { ConnectorConfig } from '../config/connector.config';
import type { ResultsPublisher } from '../jobs/results.publisher';
import { Target } from './target';

/** The integration a job names, read without validating it (a routing hint; validated later). */
export function integrationHint(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const id = (data as { integrationId?: unknown }).integrationId;
  return typeof id === 'string' ? id : undefined;
}

/** Every target this connector serves, and which one a job's integration runs on. */
export class ConnectorTargets {
  constructor(readonly all: readonly Target[]) {}

  static build(
    config: ConnectorConfig,
    results: ResultsPublisher,
    logger: Logger,
  ): ConnectorTargets {
    return new ConnectorTargets(config.targets.map((t) => new Target(t, config, results, logger)));
  }

  /**
   * The target serving `integrationId`. The one env-configured target serves every integration
   * the broker routes to this connector; a targets file serves only the integrations it names.
   */
  forIntegration(integrationId: string | undefined): Target | undefined {
    const only = this.all.length === 1 ? this.all[0] : undefined;
    if (only && only.integrationId === undefined) return only;
    return integrationId === undefined
      ? undefined
      : this.all.find((t) => t.integrationId === integrationId);
  }

  /** The integrations served, for a refusal's message. */
  describe(): string {
    return this.all.map((t) => t.label).join(', ');
  }

  start(): void {
    for (const t of this.all) t.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.all.map((t) => t.stop()));
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.all.map((t) => t.close()));
  }
}
