import { type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { FailedAuthLimiter } from '../common/rate-limit.guard';
import { IdentityModule } from '../identity/identity.module';
import { PeopleModule } from '../people/people.module';
import { ScimDiscoveryController } from './scim-discovery.controller';
import { ScimAuthGuard, scimJsonParser } from './scim-edge';
import { ScimGroupsController } from './scim-groups.controller';
import { ScimGroupsService } from './scim-groups.service';
import { ScimLinkRepository } from './scim-link.repository';
import { ScimProviderRepository } from './scim-provider.repository';
import { ScimProvidersController } from './scim-providers.controller';
import { ScimProvidersService } from './scim-providers.service';
import { ScimUsersController } from './scim-users.controller';
import { ScimUsersService } from './scim-users.service';

/** SCIM 2.0 provisioning: the company's identity provider creates, renames and cuts off people and groups. */
@Module({
  imports: [IdentityModule, PeopleModule, AuditModule],
  controllers: [
    ScimProvidersController,
    ScimDiscoveryController,
    ScimUsersController,
    ScimGroupsController,
  ],
  providers: [
    ScimProviderRepository,
    ScimLinkRepository,
    ScimProvidersService,
    ScimUsersService,
    ScimGroupsService,
    ScimAuthGuard,
    FailedAuthLimiter,
  ],
})
export class ScimModule implements NestModule {
  /** Entra sends application/scim+json, which the app's JSON parser leaves alone. */
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(scimJsonParser).forRoutes(ScimUsersController, ScimGroupsController);
  }
}
