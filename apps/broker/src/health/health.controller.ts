import { Controller, Get, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ConnectorsService } from '../connectors/connectors.service';
import { Public } from '../identity/auth.decorators';
import { QueueRegistry } from '../outbox/queue-registry';
import { HealthRepository } from './health.repository';
import { RESULTS_QUEUE } from '@doorman/contracts';

async function probe(fn: () => Promise<unknown>): Promise<'up' | 'down'> {
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref()),
    ]);
    return 'up';
  } catch {
    return 'down';
  }
}

/** Database, Redis and the connectors seen recently; 503 when the broker itself cannot work. */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly database: HealthRepository,
    private readonly queues: QueueRegistry,
    private readonly connectors: ConnectorsService,
  ) {}

  /** Liveness: the process is up and serving; nothing external is checked. */
  @Get('live')
  @Public()
  live() {
    return { status: 'ok' };
  }

  /** Readiness: the broker can work (database and Redis answer); 503 otherwise. */
  @Get('ready')
  @Public()
  async ready(@Res({ passthrough: true }) res: Response) {
    const [database, redis] = await Promise.all([
      probe(() => this.database.ping()),
      probe(() => this.queues.get(RESULTS_QUEUE).getWaitingCount()),
    ]);
    const ok = database === 'up' && redis === 'up';
    res.status(ok ? 200 : 503);
    return { status: ok ? 'ready' : 'not ready', database, redis };
  }

  @Get()
  @Public()
  async health(@Res({ passthrough: true }) res: Response) {
    const [database, redis] = await Promise.all([
      probe(() => this.database.ping()),
      probe(() => this.queues.get(RESULTS_QUEUE).getWaitingCount()),
    ]);
    const connectors = database === 'up' ? await this.connectors.list() : [];
    const ok = database === 'up' && redis === 'up';
    res.status(ok ? 200 : 503);
    return {
      status: ok ? (connectors.every((c) => c.healthy) ? 'ok' : 'degraded') : 'down',
      database,
      redis,
      connectors: connectors.map((c) => ({
        id: c.id,
        name: c.name,
        healthy: c.healthy,
        lastHeartbeatAt: c.lastHeartbeatAt,
        version: c.version,
      })),
    };
  }
}
