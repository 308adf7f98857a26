import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { ConnectorRepository } from './connector.repository';
import { ConnectorsController } from './connectors.controller';
import { ConnectorsService } from './connectors.service';

@Module({
  imports: [AuditModule],
  controllers: [ConnectorsController],
  providers: [ConnectorRepository, ConnectorsService],
  exports: [ConnectorsService, ConnectorRepository],
})
export class ConnectorsModule {}
