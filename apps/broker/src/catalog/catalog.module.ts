import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { IntegrationsModule } from '../integrations/integrations.module';
import { OutboxModule } from '../outbox/outbox.module';
import { CatalogSchemaEntity } from './catalog-schema.entity';
import { CatalogController } from './catalog.controller';
import { CatalogRepository } from './catalog.repository';
import { CatalogService } from './catalog.service';
import { IntegrationCatalogEntity } from './integration-catalog.entity';

@Module({
  imports: [
    TypeOrmModule.forFeature([IntegrationCatalogEntity, CatalogSchemaEntity]),
    IntegrationsModule,
    OutboxModule,
    AuditModule,
  ],
  controllers: [CatalogController],
  providers: [CatalogService, CatalogRepository],
  exports: [CatalogService],
})
export class CatalogModule {}
