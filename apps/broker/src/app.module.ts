import { BullModule } from '@nestjs/bullmq';
import { type DynamicModule, Module, RequestMethod } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { LoggerModule } from 'nestjs-pino';
import { AccessFlowsModule } from './access-flows/access-flows.module';
import { AuthModule } from './auth/auth.module';
import { requestLogId } from './common/correlation';
import { HttpExceptionFilter } from './common/http-exception.filter';
import { RateLimitGuard } from './common/rate-limit.guard';
import { type BrokerConfig } from './config/broker.config';
import { CatalogModule } from './catalog/catalog.module';
import { BrokerConfigModule } from './config/config.module';
import { redisConnectionOptions } from './config/redis';
import { ConnectorsModule } from './connectors/connectors.module';
import { ConsoleModule } from './console/console.module';
import { DatabaseModule } from './database/database.module';
import { GrantsModule } from './grants/grants.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { NotificationsModule } from './notifications/notifications.module';
import { PolicyModule } from './policy/policy.module';
import { PeopleModule } from './people/people.module';
import { ReceiptsModule } from './receipts/receipts.module';
import { IdentityModule } from './identity/identity.module';
import { IntegrationsModule } from './integrations/integrations.module';
import { RequestsModule } from './requests/requests.module';
import { RuleChangesModule } from './rule-changes/rule-changes.module';
import { SchedulingModule } from './scheduling/scheduling.module';
import { ScimModule } from './scim/scim.module';
import { SlackModule } from './slack/slack.module';
import { UsageModule } from './usage/usage.module';

/** Secrets never reach a log line, whatever a developer logs later. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'req.headers["x-slack-signature"]',
  'password',
  'token',
  '*.password',
  '*.token',
  '*.sealedPassword',
  '*.connectionString',
];

@Module({})
export class AppModule {
  static forRoot(config: BrokerConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        BrokerConfigModule.forRoot(config),
        LoggerModule.forRoot({
          forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
          pinoHttp: {
            level: config.LOG_LEVEL,
            redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
            autoLogging: {
              ignore: (req) =>
                req.url === '/health' ||
                req.url === '/metrics' ||
                req.url?.startsWith('/health/') === true,
            },
            genReqId: requestLogId,
            // Bodies are never logged: they may carry credentials.
            serializers: {
              req: (req: { id: unknown; method: string; url: string }) => ({
                id: req.id,
                method: req.method,
                // The provider's answer carries a one-time code: kept out of the log with its query.
                url: req.url.startsWith('/auth/callback') ? '/auth/callback' : req.url,
              }),
            },
          },
        }),
        ThrottlerModule.forRoot([{ ttl: 60_000, limit: config.RATE_LIMIT_PER_MINUTE }]),
        BullModule.forRoot({
          connection: redisConnectionOptions(config.REDIS_URL),
          prefix: config.REDIS_PREFIX,
        }),
        DatabaseModule,
        IdentityModule,
        AuthModule,
        ConnectorsModule,
        IntegrationsModule,
        CatalogModule,
        AccessFlowsModule,
        GrantsModule,
        UsageModule,
        RequestsModule,
        HealthModule,
        PolicyModule,
        PeopleModule,
        RuleChangesModule,
        ScimModule,
        ReceiptsModule,
        SlackModule,
        NotificationsModule,
        MetricsModule,
        SchedulingModule,
        ConsoleModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: HttpExceptionFilter },
        { provide: APP_GUARD, useClass: RateLimitGuard },
      ],
    };
  }
}
