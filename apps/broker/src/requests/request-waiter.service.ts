import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import Redis from 'ioredis';
import {
  canTransition,
  REQUEST_EVENTS,
  transition,
  type RequestStatus,
} from '../access-requests/request-state';
import { DomainEventBus } from '../audit/domain-events';
import { BROKER_CONFIG, type BrokerConfig } from '../config/broker.config';
import { redisConnectionOptions } from '../config/redis';

/** What a caller waits for: a status, or `decided` (the request has left PENDING). */
export type WaitTarget = RequestStatus | 'decided';

/** How a wait ended: the target reached, a status it can no longer leave for the target, or time. */
export type WaitOutcome = 'reached' | 'unreachable' | 'timeout';

/** The longest one call may wait, and how many calls one broker holds at once. */
export const MAX_WAIT_MS = 60_000;
export const MAX_WAITERS = 1000;
/**
 * A waiter is re-read this often in case the notice of its change was lost (Redis reconnecting,
 * a change that writes no audit event): a safety net, not how a wait normally ends.
 */
const RECHECK_MS = 10_000;

/** The statuses a request in `from` can still reach (itself included). */
function reachable(from: RequestStatus): Set<RequestStatus> {
  const seen = new Set<RequestStatus>([from]);
  const todo = [from];
  while (todo.length) {
    const s = todo.pop()!;
    for (const e of REQUEST_EVENTS)
      if (canTransition(s, e)) {
        const to = transition(s, e);
        if (!seen.has(to)) {
          seen.add(to);
          todo.push(to);
        }
      }
  }
  return seen;
}

/** Whether a request now in `status` ends a wait for `target`, and how; null: keep waiting. */
export function waitOutcome(status: RequestStatus, target: WaitTarget): WaitOutcome | null {
  if (target === 'decided') return status === 'PENDING' ? null : 'reached';
  if (status === target) return 'reached';
  return reachable(status).has(target) ? null : 'unreachable';
}

interface Waiter {
  /** Re-reads the request; true when the wait is over (the waiter then leaves). */
  check: () => Promise<boolean>;
  busy: boolean;
  again: boolean;
}

/**
 * Long-poll waits on requests without polling the database per waiter: every committed audited
 * change of a request (the domain bus) is published on one Redis channel as the request's id
 * alone — no status, no secret — and every broker replica subscribed to it re-reads, once, only
 * the requests its own callers wait on. A change made by another replica, the connector's result
 * recorded anywhere, the sweeper or Slack all wake the waiter the same way.
 */
@Injectable()
export class RequestWaiterService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RequestWaiterService.name);
  private readonly waiters = new Map<string, Set<Waiter>>();
  private count = 0;
  private readonly channel: string;
  private publisher: Redis | null = null;
  private subscriber: Redis | null = null;
  private unsubscribe: (() => void) | null = null;
  private recheck: NodeJS.Timeout | null = null;
  /** Waits one broker holds at once; a further one is refused (503) until one ends. */
  limit = MAX_WAITERS;

  constructor(
    private readonly bus: DomainEventBus,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {
    this.channel = `${config.REDIS_PREFIX}:request-changes`;
  }

  async onApplicationBootstrap(): Promise<void> {
    const options = redisConnectionOptions(this.config.REDIS_URL);
    // A notice that cannot go now is dropped, not queued: the safety-net re-read covers it.
    this.publisher = new Redis({ ...options, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    this.subscriber = new Redis(options);
    for (const [name, c] of [
      ['publisher', this.publisher],
      ['subscriber', this.subscriber],
    ] as const)
      // Without a listener an 'error' (Redis restarting) would be thrown; ioredis reconnects
      // (and subscribes again).
      c.on('error', (err: Error) =>
        this.logger.warn({ err: err.message }, `request-changes ${name}: Redis error`),
      );
    this.subscriber.on('message', (_channel: string, id: string) => this.wake(id));
    const subscribed = this.subscriber.subscribe(this.channel).catch((err: unknown) => {
      this.logger.warn({ err }, 'request-changes: subscribing failed; waits rely on re-reads');
    });
    // Subscribed before the broker serves, so a wait begun at once hears the first change —
    // but a Redis that is away does not hold the broker's start.
    const publisher = this.publisher;
    const ready = new Promise<void>((resolve) => publisher.once('ready', () => resolve()));
    await Promise.race([
      Promise.all([subscribed, ready]),
      new Promise((r) => setTimeout(r, 5000).unref()),
    ]);
    this.unsubscribe = this.bus.subscribe(async (e) => {
      if (!e.requestId) return;
      // This replica's own waiters at once; the others through Redis.
      this.wake(e.requestId);
      if (this.publisher?.status === 'ready')
        await this.publisher?.publish(this.channel, e.requestId).catch(() => undefined);
    });
    this.recheck = setInterval(() => {
      for (const id of this.waiters.keys()) this.wake(id);
    }, RECHECK_MS);
    this.recheck.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.unsubscribe?.();
    if (this.recheck) clearInterval(this.recheck);
    this.subscriber?.disconnect();
    this.publisher?.disconnect();
  }

  /** Waits held by this broker now. */
  get size(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count >= this.limit;
  }

  /**
   * Runs `check` (a read of the request: true when the wait is over) at once and again after
   * each notice of a change to request `id`, until it is true, `ms` pass, or `signal` aborts
   * (the caller's connection closed). Answers whether the check ended it (false: time or abort).
   */
  async wait(
    id: string,
    ms: number,
    check: () => Promise<boolean>,
    signal: AbortSignal,
  ): Promise<boolean> {
    let settle!: (done: boolean) => void;
    const over = new Promise<boolean>((resolve) => (settle = resolve));
    const waiter: Waiter = {
      busy: false,
      again: false,
      check: async () => {
        const done = await check();
        if (done) settle(true);
        return done;
      },
    };
    // Registered before the first read, so a change committed between the two is not missed.
    const set = this.waiters.get(id) ?? new Set<Waiter>();
    set.add(waiter);
    this.waiters.set(id, set);
    this.count++;
    const timer = setTimeout(() => settle(false), ms);
    const onAbort = () => settle(false);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      this.run(waiter);
      return await over;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      set.delete(waiter);
      if (set.size === 0 && this.waiters.get(id) === set) this.waiters.delete(id);
      this.count--;
    }
  }

  private wake(id: string): void {
    for (const w of this.waiters.get(id) ?? []) this.run(w);
  }

  /** One read at a time per waiter; notices that arrive during a read cause one more. */
  private run(w: Waiter): void {
    if (w.busy) {
      w.again = true;
      return;
    }
    w.busy = true;
    w.again = false;
    w.check()
      .catch((err: unknown) => {
        this.logger.warn({ err }, 'request wait: re-reading the request failed');
        return false;
      })
      .then((done) => {
        w.busy = false;
        if (!done && w.again) this.run(w);
      })
      .catch(() => undefined);
  }
}
