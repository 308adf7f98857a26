import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ZodPipe } from '../common/zod';
import { Roles } from '../identity/auth.decorators';
import { UsageReportsService } from './usage-reports.service';

const UnusedQuery = z.strictObject({
  since: z
    .string()
    .datetime({ offset: true, message: 'must be an ISO 8601 time such as 2026-11-01T00:00:00Z' }),
});

/** Usage reports: approved access that was never used. Thin. */
@ApiTags('reports')
@ApiBearerAuth()
@Controller('reports')
export class UsageController {
  constructor(private readonly reports: UsageReportsService) {}

  @Get('unused-access')
  @Roles('admin', 'security', 'auditor')
  unusedAccess(@Query(new ZodPipe(UnusedQuery)) q: z.infer<typeof UnusedQuery>) {
    return this.reports.unusedAccess(new Date(q.since));
  }
}
