import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { DomainError } from '../common/errors';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import { TimestampSchema } from '../common/input-schemas';
import { IdPipe, ZodPipe } from '../common/zod';
import { hasAnyRole, type Actor } from '../common/actor';
import { CurrentActor, Roles } from '../common/auth.decorators';
import { AUDIT_READERS } from '../common/doorman-roles';
import { requestView } from '../access-requests/request-view';
import { AccessHistoryService } from './access-history.service';
import { CSV_HEADER, eventCadf, eventCsv, eventJson, EXPORT_FORMATS } from './audit-export';
import { AuditChainService } from './audit-chain.service';
import { AuditCheckpointSchema } from './audit-checkpoint';
import { AuditService } from './audit.service';

const pgName = z.string().min(1).max(63);
const FilterSchema = {
  requestId: z.string().uuid().optional(),
  integrationId: z.string().uuid().optional(),
  actorId: z.string().uuid().optional(),
  action: z.string().max(100).optional(),
  from: TimestampSchema.optional(),
  to: TimestampSchema.optional(),
  database: pgName.optional(),
  schema: pgName.optional(),
};
const ListSchema = z.strictObject({
  ...FilterSchema,
  limit: z.coerce.number().int().min(1).max(1000).default(500),
});
const ExportSchema = z.strictObject({
  ...FilterSchema,
  format: z.enum(EXPORT_FORMATS).default('jsonl'),
});
const VerifySchema = z.strictObject({ checkpoint: AuditCheckpointSchema.optional() });

const HistorySchema = z.strictObject({
  integrationId: z.string().uuid(),
  database: pgName,
  schema: pgName.optional(),
  from: TimestampSchema,
  to: TimestampSchema,
});

/** The audit trail: list, verify the hash chain, export, and the questions auditors ask. */
@ApiTags('audit')
@ApiBearerAuth()
@Controller()
export class AuditController {
  constructor(
    private readonly audit: AuditService,
    private readonly chain: AuditChainService,
    private readonly history: AccessHistoryService,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  private get publicUrl(): string {
    return this.config.PUBLIC_URL ?? '';
  }

  /** Security, admins and auditors see everything; a requester sees the trail of their own request. */
  @Get('audit-events')
  async list(
    @CurrentActor() actor: Actor,
    @Query(new ZodPipe(ListSchema)) q: z.infer<typeof ListSchema>,
  ) {
    if (!hasAnyRole(actor, AUDIT_READERS)) {
      if (!q.requestId)
        throw DomainError.forbidden('only admin, security and auditors may list all audit events');
      if ((await this.history.requesterOf(q.requestId)) !== actor.id)
        throw DomainError.forbidden('you may read the audit trail of your own requests only');
    }
    return (await this.audit.list(q)).map(eventJson);
  }

  /** Proves the hash chain from the first event to the last, or names the first broken link. */
  @Get('audit-events/verify')
  @Roles('admin', 'security', 'auditor')
  async verify() {
    return this.chain.verify();
  }

  /**
   * The same proof, and with `checkpoint` (one the broker signed earlier, kept outside its
   * database) also whether events are missing after it or the chain no longer matches it.
   */
  @Post('audit-events/verify')
  @HttpCode(200)
  @Roles('admin', 'security', 'auditor')
  async verifyWith(@Body(new ZodPipe(VerifySchema)) body: z.infer<typeof VerifySchema>) {
    return body.checkpoint ? this.chain.verifyAgainst(body.checkpoint) : this.chain.verify();
  }

  /** Signs the chain's head now and sends the checkpoint to the log and the audit stream. */
  @Post('audit-events/checkpoints')
  @Roles('admin', 'security', 'auditor')
  async checkpoint() {
    const checkpoint = await this.chain.checkpoint();
    if (!checkpoint) throw DomainError.conflict('the audit chain is empty: nothing to sign yet');
    return checkpoint;
  }

  /** The Ed25519 public key that checks the broker's audit checkpoints. */
  @Get('audit-events/public-key')
  @Roles('admin', 'security', 'auditor')
  publicKey() {
    return this.chain.publicKey();
  }

  /** JSON lines, CSV or CADF, streamed; filtered by time, actor, integration and resource. */
  @Get('audit-events/export')
  @Roles('admin', 'security', 'auditor')
  async export(
    @Query(new ZodPipe(ExportSchema)) q: z.infer<typeof ExportSchema>,
    @Res() res: Response,
  ) {
    await this.chain.seal();
    const { format, ...filter } = q;
    res.status(200);
    res.setHeader(
      'content-type',
      format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
    );
    res.setHeader(
      'content-disposition',
      `attachment; filename="doorman-audit.${format === 'csv' ? 'csv' : 'jsonl'}"`,
    );
    if (format === 'csv') res.write(CSV_HEADER);
    for await (const e of this.audit.iterate(filter)) {
      const line =
        format === 'csv'
          ? eventCsv(e)
          : `${JSON.stringify(format === 'cadf' ? eventCadf(e, this.publicUrl) : eventJson(e))}\n`;
      if (!res.write(line)) await new Promise((resolve) => res.once('drain', resolve));
    }
    res.end();
  }

  /** Who had access to this database (and schema) between `from` and `to`. */
  @Get('access-history')
  @Roles('admin', 'security', 'auditor')
  async whoHadAccess(@Query(new ZodPipe(HistorySchema)) q: z.infer<typeof HistorySchema>) {
    if (q.to <= q.from) throw DomainError.validation('to: must be after from');
    return this.history.whoHadAccess(q);
  }

  /** Everything this person did (their audited actions) and asked for. */
  @Get('users/:id/activity')
  @Roles('admin', 'security', 'auditor')
  async activity(@Param('id', new IdPipe('user')) id: string) {
    const [events, requests] = await Promise.all([
      this.audit.list({ actorId: id, limit: 1000 }),
      this.history.requestsOf(id),
    ]);
    return { events: events.map(eventJson), requests: requests.map(requestView) };
  }
}
