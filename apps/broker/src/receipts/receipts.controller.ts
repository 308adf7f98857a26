import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { IdPipe } from '../common/zod';
import type { Actor } from '../identity/actor';
import { CurrentActor } from '../identity/auth.decorators';
import { ReceiptsService } from './receipts.service';

@ApiTags('access-requests')
@ApiBearerAuth()
@Controller('access-requests')
export class ReceiptsController {
  constructor(private readonly receipts: ReceiptsService) {}

  /** The signed receipt: whoever may read the request may read it. */
  @Get(':id/receipt')
  receipt(@CurrentActor() actor: Actor, @Param('id', new IdPipe('access request')) id: string) {
    return this.receipts.receiptOf(actor, id);
  }
}
