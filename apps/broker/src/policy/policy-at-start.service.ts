import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { readFile } from 'node:fs/promises';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import { ApiTokensService } from '../identity/api-tokens.service';
import { PolicyService } from './policy.service';

/** POLICY_FILE, when set, is applied at every start; an invalid file stops the start. */
@Injectable()
export class PolicyAtStart implements OnApplicationBootstrap {
  private readonly logger = new Logger(PolicyAtStart.name);

  constructor(
    private readonly policy: PolicyService,
    private readonly tokens: ApiTokensService,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.POLICY_FILE) return;
    // The file is applied as the bootstrap admin, who may not exist yet on a first start.
    const admin = await this.tokens.ensureBootstrapAdmin();
    const text = await readFile(this.config.POLICY_FILE, 'utf8');
    const result = await this.policy.apply(
      { id: admin.id, email: admin.email, roles: admin.roles, channel: 'system' },
      text,
      false,
    );
    this.logger.log(
      { file: this.config.POLICY_FILE, changes: result.changes },
      `policy applied: ${result.changes.length} change(s)`,
    );
  }
}
