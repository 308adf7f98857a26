import type { DiscoverJob, SslMode } from '@doorman/contracts';
import { readCapabilities } from '../postgres/capabilities';
import { catalogReport, type CatalogReport } from '../postgres/catalog-report';
import { doctorReport } from '../postgres/doctor-report';
import type { TargetClient } from '../postgres/target-client';

/**
 * Reads the catalog of an integration's databases and the doctor's report for the broker.
 * Read-only on the target, so safe to run at any time and any number of times.
 */
export class DiscoveryService {
  constructor(
    private readonly target: TargetClient,
    private readonly sslMode: SslMode,
  ) {}

  async discover(job: DiscoverJob): Promise<CatalogReport & { at: string }> {
    const at = new Date().toISOString();
    const capabilities = await readCapabilities(this.target, this.sslMode, job.databases);
    return { at, ...catalogReport(capabilities, doctorReport(capabilities), job.databases) };
  }
}
