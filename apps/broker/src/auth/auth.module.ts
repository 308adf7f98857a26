import { Global, Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CookieSessions } from '../identity/auth.guard';
import { IdentityModule } from '../identity/identity.module';
import { AuthController } from './auth.controller';
import { BrowserSessions } from './browser-sessions';
import { CliLoginController } from './cli-login.controller';
import { CliLoginRepository } from './cli-login.repository';
import { CliLoginService } from './cli-login.service';
import { OidcClient } from './oidc-client';
import { SessionController } from './session.controller';
import { SessionRepository } from './session.repository';
import { SessionService } from './session.service';
import { SignInAttemptRepository } from './sign-in-attempt.repository';
import { SignInService } from './sign-in.service';

/**
 * Sign-in with the company's identity provider and the browser sessions it opens. Global so
 * that the guard in identity/ finds the cookie sessions without identity/ importing this module.
 */
@Global()
@Module({
  imports: [IdentityModule, AuditModule],
  controllers: [AuthController, SessionController, CliLoginController],
  providers: [
    OidcClient,
    SignInAttemptRepository,
    SessionRepository,
    SessionService,
    SignInService,
    CliLoginRepository,
    CliLoginService,
    { provide: CookieSessions, useClass: BrowserSessions },
  ],
  exports: [CookieSessions],
})
export class AuthModule {}
