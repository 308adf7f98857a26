import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { OutboxModule } from '../outbox/outbox.module';
import { AdminRotationController } from './admin-rotation.controller';
import { AdminRotationEntity } from './admin-rotation.entity';
import { AdminRotationService } from './admin-rotation.service';

@Module({
  imports: [TypeOrmModule.forFeature([AdminRotationEntity]), OutboxModule, AuditModule],
  controllers: [AdminRotationController],
  providers: [AdminRotationService],
  exports: [AdminRotationService],
})
export class AdminRotationModule {}
