import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { IdentityModule } from '../identity/identity.module';
import { RequestsModule } from '../requests/requests.module';
import { DeactivationService } from './deactivation.service';
import { PeopleController } from './people.controller';

/** A person's whole standing across features: deactivation ends their access everywhere. */
@Module({
  imports: [IdentityModule, RequestsModule, AuditModule],
  controllers: [PeopleController],
  providers: [DeactivationService],
  exports: [DeactivationService],
})
export class PeopleModule {}
