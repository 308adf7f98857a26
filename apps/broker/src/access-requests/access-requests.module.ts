import { Module } from '@nestjs/common';
import { AccessRequestRepository } from './access-request.repository';

/** The AccessRequest aggregate's storage, shared by the features that move requests along. */
@Module({
  providers: [AccessRequestRepository],
  exports: [AccessRequestRepository],
})
export class AccessRequestsModule {}
