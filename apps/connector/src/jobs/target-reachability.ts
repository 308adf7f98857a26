import type { Job, Queue } from 'bullmq';
import type { Logger } from 'pino';
import { ConnectorError, ConnectorErrorCode } from '../common/connector.error';

/** How often an unreachable target is tried while it stays away. */
export const PROBE_INTERVAL_MS = 1000;

/** A job attempt that failed because the target could not be reached at all. */
export function isUnreachable(err: unknown): boolean {
  return err instanceof ConnectorError && err.code === ConnectorErrorCode.ConnectionFailed;
}

/**
 * Promotes every job of `queue` that waits for a retry (delayed after a failed attempt), so it
 * runs now; only those `mine` accepts (the jobs of one target). Jobs delayed on purpose (never
 * attempted) keep their time. Returns how many moved.
 */
export async function promoteRetries(
  queue: Pick<Queue, 'getDelayed'>,
  mine: (job: Job) => boolean = () => true,
): Promise<number> {
  const waiting: Job[] = (await queue.getDelayed()).filter(
    (job) => job.attemptsMade > 0 && mine(job),
  );
  let promoted = 0;
  for (const job of waiting) {
    // A job the worker took meanwhile, or promoted by another replica, is no longer delayed.
    if (
      await job.promote().then(
        () => true,
        () => false,
      )
    )
      promoted++;
  }
  return promoted;
}

/**
 * Revokes retry with their own backoff (1 s doubling to 60 s), so after an outage each used to
 * wait out its remaining delay although the target was back. Once a job finds the
 * target unreachable, this probes it every second; when it answers, every job of that target
 * waiting for a retry on this connector's queue runs at once. One per target.
 */
export class TargetReachability {
  private timer: NodeJS.Timeout | null = null;
  private checking = false;
  private closed = false;

  constructor(
    private readonly probe: () => Promise<unknown>,
    private readonly wake: () => Promise<number>,
    private readonly logger: Logger,
    private readonly intervalMs = PROBE_INTERVAL_MS,
  ) {}

  get probing(): boolean {
    return this.timer !== null;
  }

  /** A job attempt failed: when the target was unreachable, probe it until it answers. */
  onJobFailed(err: unknown): void {
    if (!isUnreachable(err) || this.timer !== null || this.closed) return;
    this.logger.warn('target unreachable: probing it; waiting retries run as soon as it answers');
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref();
  }

  /** One probe; on success the probing stops and the waiting retries are woken. */
  async check(): Promise<void> {
    if (this.checking || this.timer === null) return;
    this.checking = true;
    try {
      await this.probe();
    } catch {
      return;
    } finally {
      this.checking = false;
    }
    this.stop();
    try {
      const promoted = await this.wake();
      this.logger.info({ promoted }, 'target reachable again: waiting retries run now');
    } catch (err) {
      this.logger.warn({ err }, 'target reachable again, but waiting retries could not be woken');
    }
  }

  close(): void {
    this.closed = true;
    this.stop();
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
