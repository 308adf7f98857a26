import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import type { SessionsReport } from '@doorman/contracts';
import { ResultsProcessor } from '../grants/results.processor';
import { IntegrationsService } from '../integrations/integrations.service';
import { FirstLoginService } from './first-login.service';
import { UsageRepository, type SessionRecord } from './usage.repository';

/**
 * The connectors' sessions reports: each session of a database user recorded once (by pid and
 * backend_start), seen again, ended when a complete report no longer holds it; the user and the
 * grants active at the time marked used; the first-login clock moved or run out. One
 * transaction a report, each step set-based and idempotent, so a redelivered report is a no-op.
 */
@Injectable()
export class SessionObservationsService implements OnModuleInit {
  private readonly logger = new Logger(SessionObservationsService.name);

  constructor(
    private readonly usage: UsageRepository,
    private readonly integrations: IntegrationsService,
    private readonly firstLogin: FirstLoginService,
    private readonly results: ResultsProcessor,
  ) {}

  onModuleInit(): void {
    this.results.onSessions((report) => this.record(report));
  }

  /** The sessions of one database user that overlap [from, to], oldest first (receipts). */
  sessionsFor(databaseUserId: string, from: Date, to: Date): Promise<SessionRecord[]> {
    return this.usage.sessionsOf(databaseUserId, from, to);
  }

  async record(report: SessionsReport): Promise<void> {
    // A one-target connector names no integration: its report stands for each of them.
    const integrationIds = report.integrationId
      ? [report.integrationId]
      : (await this.integrations.list())
          .filter((i) => i.connectorId === report.connectorId)
          .map((i) => i.id);
    for (const id of integrationIds) await this.recordOn(id, report);
  }

  @Transactional()
  private async recordOn(integrationId: string, report: SessionsReport): Promise<void> {
    const at = new Date(report.at);
    const users = await this.usage.upsertSeen(integrationId, at, report.sessions);
    const ended = report.complete ? await this.usage.closeAbsent(integrationId, at) : 0;
    await this.usage.markUsersUsed(users, at);
    const firstStarts = new Map<string, Date>();
    for (const s of report.sessions) {
      const start = new Date(s.startedAt);
      const known = firstStarts.get(s.role);
      if (!known || start < known) firstStarts.set(s.role, start);
    }
    // Before the grants are marked used: the first-login grants still unused are read here.
    await this.firstLogin.onSessions(integrationId, at, firstStarts);
    await this.usage.markGrantsUsed(integrationId, at, firstStarts);
    await this.firstLogin.expireUnused(integrationId, at);
    if (users.length > 0 || ended > 0)
      this.logger.debug({ integrationId, users: users.length, ended }, 'sessions recorded');
  }
}
