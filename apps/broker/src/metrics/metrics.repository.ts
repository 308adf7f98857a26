import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';

/** Pending requests by how long they have waited (seconds, upper bounds). */
export const PENDING_AGE_BUCKETS = [
  { label: '5m', max: 300 },
  { label: '1h', max: 3600 },
  { label: '24h', max: 86400 },
  { label: 'older', max: Number.POSITIVE_INFINITY },
] as const;

/**
 * The aggregate reads behind the gauges, run at scrape time only (never on a timer), each
 * one indexed count or group-by: their cost does not grow with how often grants change.
 */
@Injectable()
export class MetricsRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  async activeGrants(): Promise<number> {
    const [row] = await this.txHost.tx.query<Array<{ n: string }>>(
      `SELECT count(*) AS n FROM access_requests WHERE status = 'ACTIVE'`,
    );
    return Number(row.n);
  }

  async pendingByAge(): Promise<Record<string, number>> {
    const rows = await this.txHost.tx.query<Array<{ bucket: string; n: string }>>(
      `SELECT CASE
                WHEN age < 300 THEN '5m' WHEN age < 3600 THEN '1h' WHEN age < 86400 THEN '24h'
                ELSE 'older' END AS bucket,
              count(*) AS n
         FROM (SELECT extract(epoch FROM now() - created_at) AS age
                 FROM access_requests WHERE status = 'PENDING') p
        GROUP BY 1`,
    );
    const out: Record<string, number> = {};
    for (const b of PENDING_AGE_BUCKETS) out[b.label] = 0;
    for (const r of rows) out[r.bucket] = Number(r.n);
    return out;
  }

  /** Age of the oldest password among people with access now, per integration. */
  async oldestPasswordAge(): Promise<Array<{ integration: string; seconds: number }>> {
    const rows = await this.txHost.tx.query<Array<{ name: string; s: string }>>(
      `SELECT i.name, max(extract(epoch FROM now() - d.password_issued_at)) AS s
         FROM database_users d JOIN integrations i ON i.id = d.integration_id
        WHERE d.state = 'active' AND d.password_issued_at IS NOT NULL
        GROUP BY i.name`,
    );
    return rows.map((r) => ({ integration: r.name, seconds: Number(r.s) }));
  }

  async connectorIds(): Promise<string[]> {
    const rows = await this.txHost.tx.query<Array<{ id: string }>>(`SELECT id FROM connectors`);
    return rows.map((r) => r.id);
  }
}
