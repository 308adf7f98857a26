import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { App, ErrorCode, ExpressReceiver, LogLevel, SocketModeReceiver } from '@slack/bolt';
import { raw, type Application, type NextFunction, type Request, type Response } from 'express';
import { SlackRateLimiter, slackUserOf } from './slack-rate-limit';
import { BROKER_CONFIG, type BrokerConfig, slackSettings } from '../config/broker.config';
import { registerActions } from './listeners/actions.listener';
import { registerCommands } from './listeners/commands.listener';
import { registerEvents } from './listeners/events.listener';
import { registerViews } from './listeners/views.listener';
import { SlackGroupSyncService } from './slack-group-sync.service';
import { SlackAccessActionsService } from './slack-access-actions.service';
import { SlackCommandsService } from './slack-commands.service';
import { SlackDecisionsService } from './slack-decisions.service';
import type { SlackHandlers } from './slack-handlers';
import { SlackRequestFormService } from './slack-request-form.service';

export const SLACK_EVENTS_PATH = '/slack/events';
/** Slack's own payloads are far smaller (a modal submission is a few kB). */
const SLACK_BODY_LIMIT = '256kb';

/**
 * Bolt inside the broker: over HTTP at /slack/events (signature and timestamp checked by
 * Bolt's receiver, on the raw body) or over Socket Mode. Off, with a log line saying why,
 * when Slack is not configured; the REST API works either way.
 */
@Injectable()
export class SlackAppService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SlackAppService.name);
  private readonly app: App | null = null;
  private readonly receiver: ExpressReceiver | null = null;
  private readonly socketMode: boolean = false;

  constructor(
    @Inject(BROKER_CONFIG) config: BrokerConfig,
    commands: SlackCommandsService,
    form: SlackRequestFormService,
    decisions: SlackDecisionsService,
    access: SlackAccessActionsService,
    groupSync: SlackGroupSyncService,
  ) {
    const s = slackSettings(config);
    if (!s.enabled) {
      this.logger.log(`Slack is off: ${s.reason}`);
      return;
    }
    const common = {
      token: s.botToken,
      clientOptions: { slackApiUrl: s.apiUrl },
      logLevel: LogLevel.ERROR,
    };
    if (s.socketMode) {
      this.socketMode = true;
      this.app = new App({
        ...common,
        receiver: new SocketModeReceiver({
          appToken: s.appToken!,
          logLevel: LogLevel.ERROR,
          installerOptions: { clientOptions: { slackApiUrl: s.apiUrl } },
        }),
      });
    } else {
      this.receiver = new ExpressReceiver({
        signingSecret: s.signingSecret,
        endpoints: SLACK_EVENTS_PATH,
        logLevel: LogLevel.ERROR,
        // A signed request Bolt cannot make sense of is refused as the sender's fault (400), not
        // answered with a 500; the error is still logged so a listener bug stays visible.
        processEventErrorHandler: async ({ error, response }) => {
          if (response.headersSent) return false;
          const authorization =
            'code' in error && error.code === (ErrorCode.AuthorizationError as string);
          if (!authorization)
            this.logger.error({ err: error }, 'Slack request could not be processed');
          response.writeHead(authorization ? 401 : 400);
          response.end();
          return true;
        },
      });
      this.app = new App({ ...common, receiver: this.receiver });
    }
    // Rate limit per Slack user, before any listener: acknowledged (so Slack does not retry), not acted on.
    const limiter = new SlackRateLimiter(config.SLACK_RATE_LIMIT_PER_MINUTE);
    this.app.use(async (args) => {
      const user = slackUserOf(args.body);
      if (user && !limiter.allow(user)) {
        this.logger.warn({ slackUserId: user }, 'Slack user over the rate limit');
        if ('ack' in args && typeof args.ack === 'function') await args.ack();
        return;
      }
      await args.next();
    });
    const handlers: SlackHandlers = { commands, form, decisions, access };
    registerCommands(this.app, handlers);
    registerActions(this.app, handlers);
    registerViews(this.app, handlers);
    registerEvents(this.app, handlers, groupSync);
    this.app.error(async (error) => {
      this.logger.error({ err: error }, 'Slack listener failed');
    });
  }

  get enabled(): boolean {
    return this.app !== null;
  }

  /** Mounts the HTTP endpoint: before any body parser, since signatures cover the raw body. */
  mount(express: Application): void {
    if (!this.receiver) return;
    // Bolt would buffer a body of any size before checking its signature: cap it first
    // (413), and hand Bolt the raw bytes it signs.
    express.use(
      SLACK_EVENTS_PATH,
      raw({ type: () => true, limit: SLACK_BODY_LIMIT }),
      (req: Request, _res: Response, next: NextFunction) => {
        const body: unknown = req.body;
        (req as Request & { rawBody?: Buffer }).rawBody = Buffer.isBuffer(body)
          ? body
          : Buffer.alloc(0);
        next();
      },
      // A body too large or cut short ends here, quietly: nothing was verified, nothing is done.
      (err: { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
        res.status(err.status && err.status >= 400 && err.status < 500 ? err.status : 400).end();
      },
    );
    express.use(this.receiver.router);
    this.logger.log(`Slack is on over HTTP at ${SLACK_EVENTS_PATH}`);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.app && this.socketMode) {
      await this.app.start();
      this.logger.log('Slack is on over Socket Mode');
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.app && this.socketMode) await this.app.stop();
  }
}
