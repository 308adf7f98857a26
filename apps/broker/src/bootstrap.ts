import 'reflect-metadata';
import { type INestApplication, RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { correlationMiddleware } from './common/correlation';
import type { BrokerConfig } from './config/broker.config';
import { SlackAppService } from './slack/slack-app.service';

/** Builds the broker's HTTP application: used by main.ts and by tests. */
export async function createBrokerApp(config: BrokerConfig): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  // First, so every log line and job of the request (REST or Slack) carries its correlation id.
  app.use(correlationMiddleware);
  app.disable('x-powered-by');
  // Secure headers (HSTS, no sniffing, no framing, a strict CSP; the docs UI needs inline styles),
  // ahead of every parser: the body parser's own answers (malformed JSON, too large) carry them too.
  app.use(
    helmet({
      contentSecurityPolicy: { directives: { 'style-src': ["'self'", "'unsafe-inline'"] } },
    }),
  );
  // Slack signs the raw body: its endpoint goes ahead of the JSON parser and reads the body itself.
  app.get(SlackAppService).mount(app.getHttpAdapter().getInstance());
  app.useBodyParser('json', { limit: '100kb' });
  app.setGlobalPrefix('api/v1', {
    exclude: [
      { path: 'health', method: RequestMethod.GET },
      { path: 'health/live', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
      { path: 'metrics', method: RequestMethod.GET },
      // Sign-in pages a browser navigates to (the provider redirects back to /auth/callback).
      { path: 'auth/login', method: RequestMethod.GET },
      { path: 'auth/callback', method: RequestMethod.GET },
      { path: 'auth/logout', method: RequestMethod.POST },
      // `doorman login`: the browser's way to the CLI, and the CLI's exchange for a token.
      { path: 'auth/cli/login', method: RequestMethod.GET },
      { path: 'auth/cli/complete', method: RequestMethod.GET },
      { path: 'auth/cli/complete', method: RequestMethod.POST },
      { path: 'auth/cli/token', method: RequestMethod.POST },
      // The public keys that verify access receipts, where anyone may fetch them.
      { path: '.well-known/doorman-receipt-keys', method: RequestMethod.GET },
    ],
  });
  app.enableShutdownHooks();
  const doc = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Doorman')
      .setDescription('Just-in-time access to PostgreSQL')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('api/docs', app, doc, { jsonDocumentUrl: 'api/docs-json' });
  return app;
}
