import type { Logger } from 'pino';
import {
  CONTRACT_VERSION,
  parseRoleComment,
  type Inventory,
  type InventoryRole,
} from '@doorman/contracts';
import { GROUP_COMMENT_PREFIX, MARKER_ROLE } from '../postgres/group-role';
import * as sql from '../postgres/sql';
import type { TargetClient } from '../postgres/target-client';
import { Periodic } from './periodic';
import type { ResultsPublisher } from './results.publisher';

export interface InventoryRow {
  name: string;
  comment: string | null;
  can_login: boolean;
  valid_until_ms: number | null;
  group_comments: (string | null)[];
  now_ms: number;
}

/** One row of readInventory as the contract reports it (pure; unit-tested). */
export function toInventoryRole(row: InventoryRow): InventoryRole {
  const comment = parseRoleComment(row.comment);
  const groups: InventoryRole['groups'] = [];
  for (const text of row.group_comments) {
    if (!text?.startsWith(GROUP_COMMENT_PREFIX)) continue;
    try {
      const g = JSON.parse(text.slice(GROUP_COMMENT_PREFIX.length)) as Record<string, unknown>;
      if (
        typeof g.database === 'string' &&
        typeof g.schema === 'string' &&
        typeof g.permission === 'string'
      )
        groups.push({ database: g.database, schema: g.schema, permission: g.permission });
    } catch {
      // A group comment someone edited by hand: not one of ours to report.
    }
  }
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  return {
    name: row.name,
    person: comment && uuid.test(comment.person) ? comment.person : null,
    generation: comment && Number.isInteger(comment.gen) && comment.gen >= 0 ? comment.gen : null,
    canLogin: row.can_login,
    validUntil: row.valid_until_ms === null ? null : new Date(row.valid_until_ms).toISOString(),
    groups,
  };
}

/**
 * Reports every managed role to the broker every RECONCILE_INTERVAL_MS; the
 * broker compares it with what it wants and re-syncs the differences. Read-only here.
 * One instance per target; `integrationId` names it when the connector serves several.
 */
export class InventoryService {
  private readonly periodic: Periodic;

  constructor(
    private readonly connectorId: string,
    intervalMs: number,
    private readonly target: TargetClient,
    private readonly results: ResultsPublisher,
    private readonly logger: Logger,
    /** The integration this target is, when the connector serves several. */
    private readonly integrationId?: string,
  ) {
    this.periodic = new Periodic(
      intervalMs,
      () => this.report(),
      (err) => this.logger.warn({ err }, 'inventory could not be reported; next interval retries'),
    );
  }

  start(): void {
    this.periodic.start();
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }

  async read(): Promise<Inventory> {
    const rows = await this.target.query<InventoryRow>(
      sql.readInventory(MARKER_ROLE, GROUP_COMMENT_PREFIX),
    );
    // The target's clock even with no role to report: the broker compares it with when syncs
    // applied, by that clock; the connector's own clock may be skewed.
    const at = new Date(
      rows[0]?.now_ms ??
        (await this.target.query<{ now_ms: number }>(sql.readServerClock()))[0].now_ms,
    );
    return {
      v: CONTRACT_VERSION,
      kind: 'inventory',
      connectorId: this.connectorId,
      at: at.toISOString(),
      roles: rows.map(toInventoryRole),
      ...(this.integrationId ? { integrationId: this.integrationId } : {}),
    };
  }

  async report(): Promise<void> {
    const inventory = await this.read();
    // One inventory waits at a time: while the broker is away they do not pile up.
    const key = `inventory-${this.connectorId}${this.integrationId ? `-${this.integrationId}` : ''}`;
    await this.results.publish(inventory, key);
    this.logger.debug({ roles: inventory.roles.length }, 'inventory reported');
  }
}
