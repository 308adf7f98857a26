import { Injectable } from '@nestjs/common';
import { canonicalJson } from '../common/canonical-json';
import { ConnectorRepository } from '../connectors/connector.repository';
import type { IntegrationEntity } from '../integrations/integration.entity';
import {
  IntegrationRepository,
  type IntegrationFields,
} from '../integrations/integration.repository';
import type { PolicyRun } from './policy-run';

/** The connectors and integrations of a policy file. */
@Injectable()
export class PolicyServersApplier {
  constructor(
    private readonly connectors: ConnectorRepository,
    private readonly integrations: IntegrationRepository,
  ) {}

  async apply(run: PolicyRun): Promise<void> {
    await this.applyConnectors(run);
    await this.applyIntegrations(run);
  }

  private async applyConnectors(run: PolicyRun): Promise<void> {
    for (const c of await this.connectors.list()) run.connectorIds.set(c.name, c.id);
    for (const c of run.policy.connectors) {
      if (run.connectorIds.has(c.name)) continue;
      run.changes.push(`create connector ${c.name}`);
      run.connectorIds.set(
        c.name,
        run.dryRun
          ? run.placeholder('connector', c.name)
          : (await this.connectors.insert(c.name)).id,
      );
    }
  }

  private async applyIntegrations(run: PolicyRun): Promise<void> {
    for (const i of await this.integrations.list()) run.integrationIds.set(i.name, i.id);
    for (const [n, i] of run.policy.integrations.entries()) {
      const connectorId = run.connectorIds.get(i.connector);
      if (!connectorId) {
        run.error(['integrations', n, 'connector'], `unknown connector ${i.connector}`);
        continue;
      }
      const fields: Omit<IntegrationFields, 'caCertificate'> &
        Partial<Pick<IntegrationFields, 'caCertificate'>> = {
        name: i.name,
        connectorId,
        host: i.host,
        port: i.port,
        databases: i.databases,
        sslMode: i.sslMode,
        rotationDays: i.rotationDays,
        cleanupDays: i.cleanupDays,
        adminRotationDays: i.adminRotationDays,
        customAccessDetails: i.customAccessDetails,
        ownerIds: run.resolveUsers(i.owners, ['integrations', n, 'owners']),
        connectionLimit: i.connectionLimit,
        revealToMintedTokens: i.revealToMintedTokens,
        // Left out of the file, the CA stays as it is (set through the API, say); null removes it.
        ...(i.caCertificate !== undefined ? { caCertificate: i.caCertificate } : {}),
      };
      const existing = await this.integrations.byName(i.name);
      if (!existing) {
        run.changes.push(`create integration ${i.name}`);
        run.integrationIds.set(
          i.name,
          run.dryRun
            ? run.placeholder('integration', i.name)
            : (await this.integrations.insert({ caCertificate: null, ...fields })).id,
        );
        continue;
      }
      const current = Object.fromEntries(
        Object.keys(fields).map((k) => [k, existing[k as keyof IntegrationEntity]]),
      );
      if (canonicalJson(current) !== canonicalJson(fields)) {
        run.changes.push(`update integration ${i.name}`);
        if (!run.dryRun) await this.integrations.update(existing.id, fields);
      }
    }
  }
}
