import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { GrantsModule } from '../grants/grants.module';
import { IntegrationsModule } from '../integrations/integrations.module';
import { OutboxModule } from '../outbox/outbox.module';
import { FirstLoginService } from './first-login.service';
import { SessionObservationsService } from './session-observations.service';
import { UsageReportsService } from './usage-reports.service';
import { UsageRepository } from './usage.repository';
import { UsageController } from './usage.controller';

/**
 * Usage: the sessions connectors observe, when access was last used, access never used, and
 * the clock of flows that count from the first login. Depends on grants (it registers itself
 * with the results processor), never the reverse.
 */
@Module({
  imports: [GrantsModule, IntegrationsModule, OutboxModule, AuditModule],
  controllers: [UsageController],
  providers: [UsageRepository, SessionObservationsService, FirstLoginService, UsageReportsService],
  exports: [SessionObservationsService],
})
export class UsageModule {}
