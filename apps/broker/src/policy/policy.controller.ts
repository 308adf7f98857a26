import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { DomainError, ErrorCode } from '../common/errors';
import { openApiSchema, ZodPipe } from '../common/zod';
import type { Actor } from '../identity/actor';
import { CurrentActor, Roles } from '../identity/auth.decorators';
import { PolicyFileError, PolicyRefusedError } from './policy-file';
import { PolicyService } from './policy.service';

const ApplySchema = z.strictObject({
  yaml: z.string().min(1).max(1_000_000),
  dryRun: z.boolean().default(false),
});

@ApiTags('policy')
@ApiBearerAuth()
@Controller('policy')
export class PolicyController {
  constructor(private readonly policy: PolicyService) {}

  /** Applies a policy file (YAML) idempotently; `dryRun` reports what would change. */
  @Post('apply')
  @HttpCode(200)
  @Roles('admin', 'security')
  @ApiBody({ schema: openApiSchema(ApplySchema) })
  async apply(
    @CurrentActor() actor: Actor,
    @Body(new ZodPipe(ApplySchema)) body: z.infer<typeof ApplySchema>,
  ) {
    try {
      return await this.policy.apply(actor, body.yaml, body.dryRun);
    } catch (e) {
      if (e instanceof PolicyRefusedError)
        throw new DomainError(ErrorCode.Forbidden, e.message, { errors: e.errors });
      if (e instanceof PolicyFileError)
        throw DomainError.validation(e.message, { errors: e.errors });
      throw e;
    }
  }
}
