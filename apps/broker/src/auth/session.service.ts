import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import { AuditService } from '../audit/audit.service';
import { DomainEventBus } from '../audit/domain-events';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import type { Actor } from '../identity/actor';
import type { UserEntity } from '../identity/user.entity';
import { sessionSettings, type SessionSettings } from './oidc-settings';
import {
  csrfTokenFor,
  hashSecret,
  randomSecret,
  sessionEnd,
  sessionLive,
  shouldTouch,
} from './session.policy';
import { SessionRepository, type SessionWithPerson } from './session.repository';

export interface Authentication {
  authTime: Date | null;
  acr: string | null;
  amr: string[];
}

export interface OpenedSession {
  /** The cookie's value: given to the browser once, only its hash kept. */
  sessionId: string;
  maxAgeSeconds: number;
}

/** A cookie-authenticated caller: who, and the session they came with. */
export interface SessionCaller {
  actor: Actor;
  session: SessionWithPerson;
  /** The session id from the cookie (to derive the CSRF token). */
  sessionId: string;
}

/** What GET /api/v1/session answers. */
export interface SessionView {
  person: { id: string; email: string; name: string; roles: string[] };
  authentication: { authTime: Date | null; acr: string | null; amr: string[] };
  expiresAt: Date;
  csrfToken: string;
}

/** Browser sessions: opened at sign-in, checked on every call, ended by time or by sign-out. */
@Injectable()
export class SessionService implements OnModuleInit, OnModuleDestroy {
  readonly settings: SessionSettings;
  private unsubscribe?: () => void;

  constructor(
    @Inject(BROKER_CONFIG) config: BrokerConfig,
    private readonly sessions: SessionRepository,
    private readonly audit: AuditService,
    private readonly bus: DomainEventBus,
  ) {
    this.settings = sessionSettings(config);
  }

  /**
   * A deactivation ends the person's sessions as soon as it commits, so a later reactivation
   * revives none of them. Should this broker stop first, the check on every call below still
   * ends each session the moment it is used while its person is deactivated.
   */
  onModuleInit(): void {
    this.unsubscribe = this.bus.subscribe(async (e) => {
      if (e.action === 'user.deactivated' && typeof e.details.userId === 'string')
        await this.sessions.deleteAllOf(e.details.userId);
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  /**
   * A new session for the person, audited with how the provider authenticated them. The
   * browser's previous session, if it still had one (a step-up, another person), ends: one
   * browser, one session, and always a fresh id after a sign-in.
   */
  @Transactional()
  async open(
    person: UserEntity,
    auth: Authentication,
    from: { sourceAddress?: string; previousSessionId?: string },
  ): Promise<OpenedSession> {
    const now = new Date();
    const sessionId = randomSecret();
    await this.sessions.deleteEndedBefore(now);
    if (from.previousSessionId)
      await this.sessions.deleteByHash(hashSecret(from.previousSessionId));
    const row = await this.sessions.insert({
      tokenHash: hashSecret(sessionId),
      userId: person.id,
      ...auth,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + this.settings.absoluteMs),
    });
    await this.audit.record({
      action: 'session.signed_in',
      actor: {
        id: person.id,
        email: person.email,
        roles: person.roles,
        channel: 'console',
        sourceAddress: from.sourceAddress,
      },
      details: {
        sessionId: row.id,
        authTime: auth.authTime?.toISOString() ?? null,
        acr: auth.acr,
        amr: auth.amr,
      },
    });
    return { sessionId, maxAgeSeconds: Math.floor(this.settings.absoluteMs / 1000) };
  }

  /**
   * The caller behind a session cookie, or null when the session is gone or has ended; a session
   * whose person is deactivated ends here for good.
   */
  async authenticate(sessionId: string, sourceAddress?: string): Promise<SessionCaller | null> {
    if (sessionId.length > 100) return null;
    const session = await this.sessions.findWithPerson(hashSecret(sessionId));
    if (!session) return null;
    const now = new Date();
    if (session.deactivatedAt || !sessionLive(session, this.settings.idleMs, now)) {
      await this.sessions.delete(session.id);
      return null;
    }
    if (shouldTouch(session, now)) {
      await this.sessions.touch(session.id, now);
      session.lastSeenAt = now;
    }
    const actor: Actor = {
      id: session.userId,
      email: session.email,
      roles: session.roles,
      channel: 'console',
      sourceAddress,
      authentication: {
        method: 'oidc',
        ...(session.authTime ? { authTime: session.authTime } : {}),
        ...(session.acr ? { acr: session.acr } : {}),
        amr: session.amr,
      },
    };
    return { actor, session, sessionId };
  }

  view(caller: SessionCaller): SessionView {
    const s = caller.session;
    return {
      person: { id: s.userId, email: s.email, name: s.name, roles: s.roles },
      authentication: { authTime: s.authTime, acr: s.acr, amr: s.amr },
      expiresAt: sessionEnd(s, this.settings.idleMs),
      csrfToken: csrfTokenFor(caller.sessionId),
    };
  }

  @Transactional()
  async signOut(caller: SessionCaller): Promise<void> {
    if (!(await this.sessions.delete(caller.session.id))) return;
    await this.audit.record({
      action: 'session.signed_out',
      actor: caller.actor,
      details: { sessionId: caller.session.id },
    });
  }

  /** A sign-in the provider vouched for that Doorman refused (no verified email, deactivated). */
  async auditRefusal(
    reason: string,
    claims: { sub: string; email?: unknown },
    sourceAddress?: string,
  ): Promise<void> {
    await this.audit.record({
      action: 'session.sign_in_refused',
      channel: 'console',
      details: {
        reason,
        subject: claims.sub,
        email: typeof claims.email === 'string' ? claims.email : null,
        sourceAddress: sourceAddress ?? null,
      },
    });
  }
}
