import { Module } from '@nestjs/common';
import { AccessFlowsModule } from '../access-flows/access-flows.module';
import { CatalogModule } from '../catalog/catalog.module';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import { IdentityModule } from '../identity/identity.module';
import { IntegrationsModule } from '../integrations/integrations.module';
import { RequestsModule } from '../requests/requests.module';
import { AccessNoticesService } from './access-notices.service';
import { ApprovalNoticesService } from './approval-notices.service';
import { SlackAccessActionsService } from './slack-access-actions.service';
import { SlackActingService } from './slack-acting.service';
import { SlackAppService } from './slack-app.service';
import { SlackCommandsService } from './slack-commands.service';
import { SlackDecisionsService } from './slack-decisions.service';
import { SlackRequestCatalogService, SlackRequestFormService } from './slack-request-form.service';
import { createSlackClient, SLACK_CLIENT } from './slack-client';
import { SlackExpiryWarningsService } from './slack-expiry-warnings.service';
import { SlackGroupSyncService } from './slack-group-sync.service';
import { SlackGroupsController } from './slack-groups.controller';
import { SlackHomeService } from './slack-home.service';
import { SlackMessagesRepository } from './slack-messages.repository';
import { SlackNotifierService } from './slack-notifier.service';
import { SlackPeopleService } from './slack-people.service';
import { SlackPostsService } from './slack-posts.service';

/** The Slack app: one more edge over the same services as the REST API, and its notices. */
@Module({
  imports: [IdentityModule, IntegrationsModule, AccessFlowsModule, RequestsModule, CatalogModule],
  controllers: [SlackGroupsController],
  providers: [
    {
      provide: SLACK_CLIENT,
      inject: [BROKER_CONFIG],
      useFactory: (config: BrokerConfig) => createSlackClient(config),
    },
    SlackMessagesRepository,
    SlackPeopleService,
    SlackHomeService,
    SlackActingService,
    SlackRequestCatalogService,
    SlackRequestFormService,
    SlackCommandsService,
    SlackDecisionsService,
    SlackAccessActionsService,
    SlackPostsService,
    ApprovalNoticesService,
    AccessNoticesService,
    SlackNotifierService,
    SlackExpiryWarningsService,
    SlackGroupSyncService,
    SlackAppService,
  ],
  exports: [
    SlackAppService,
    SlackExpiryWarningsService,
    SlackGroupSyncService,
    SlackNotifierService,
  ],
})
export class SlackModule {}
