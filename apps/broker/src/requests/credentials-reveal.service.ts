import { Inject, Injectable } from '@nestjs/common';
import { isEverything, isRoleResource } from '@doorman/contracts';
import type { SealKeyring } from '@doorman/crypto';
import { AuditService } from '../audit/audit.service';
import { DomainError } from '../common/errors';
import { SEAL_KEYRING } from '../config/seal-keyring';
import { AccessRequestRepository } from '../access-requests/access-request.repository';
import { DatabaseUserRepository } from '../grants/database-user.repository';
import { ExpiryService } from '../grants/expiry.service';
import type { Actor } from '../identity/actor';
import { IntegrationsService } from '../integrations/integrations.service';

export interface Credentials {
  host: string;
  port: number;
  database: string;
  username: string;
  password: string;
  sslMode: string;
  connectionString: string;
  customAccessDetails: string | null;
  /** PEM of the server's CA when the integration has one: what verify-ca / verify-full need. */
  caCertificate: string | null;
  expiresAt: Date | null;
}

/** The one place a person's password is opened: for its requester, while ACTIVE, audited (REST and Slack). */
@Injectable()
export class CredentialsRevealService {
  constructor(
    private readonly requests: AccessRequestRepository,
    private readonly integrations: IntegrationsService,
    private readonly databaseUsers: DatabaseUserRepository,
    private readonly expiry: ExpiryService,
    private readonly audit: AuditService,
    @Inject(SEAL_KEYRING) private readonly keyring: SealKeyring,
  ) {}

  /** The requester alone sees their password, opened from its sealed box; every reveal is audited. */
  async reveal(actor: Actor, id: string): Promise<Credentials> {
    const req = await this.requests.findById(id);
    if (!req) throw DomainError.notFound('access request', id);
    if (req.requesterId !== actor.id)
      throw DomainError.forbidden('only the requester may reveal credentials');
    // A token someone else minted for the requester: the integration may refuse it.
    if (actor.mintedBy && !(await this.integrations.get(req.integrationId)).revealToMintedTokens)
      throw DomainError.forbidden(
        'this integration reveals credentials only with a token the person created themselves (or in Slack)',
      );
    if (req.status !== 'ACTIVE') {
      throw DomainError.conflict(
        `credentials are available while access is ACTIVE; this request is ${req.status}`,
      );
    }
    // The expiry timer may not have fired yet: past expiresAt the access is over all the same.
    const ended = await this.expiry.endIfLapsed(req);
    if (ended) throw DomainError.conflict(`credentials are no longer available: ${ended}`);
    const [integration, du] = await Promise.all([
      this.integrations.get(req.integrationId),
      this.databaseUsers.findOf(req.integrationId, req.requesterId),
    ]);
    if (!du?.sealedPassword) throw DomainError.conflict('no credentials have been issued yet');
    const password = this.keyring.open(du.sealedPassword);
    await this.audit.record({
      action: 'credentials.revealed',
      actor,
      requestId: req.id,
      integrationId: req.integrationId,
      details: {
        username: du.username,
        passwordIssuedAt: du.passwordIssuedAt?.toISOString() ?? null,
        ...(actor.mintedBy ? { tokenMintedBy: actor.mintedBy } : {}),
      },
    });
    // Everything on the server, or an existing role: any database works; offer the integration's first.
    const database =
      isEverything(req) || isRoleResource(req) ? integration.databases[0] : req.database;
    const connectionString =
      `postgresql://${encodeURIComponent(du.username)}:${encodeURIComponent(password)}` +
      `@${integration.host}:${integration.port}/${encodeURIComponent(database)}?sslmode=${integration.sslMode}`;
    return {
      host: integration.host,
      port: integration.port,
      database,
      username: du.username,
      password,
      sslMode: integration.sslMode,
      connectionString,
      customAccessDetails: integration.customAccessDetails,
      caCertificate: integration.caCertificate,
      expiresAt: req.expiresAt,
    };
  }
}
