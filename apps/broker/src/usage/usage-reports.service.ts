import { Injectable } from '@nestjs/common';
import { UsageRepository, type UnusedGrantRow } from './usage.repository';

/** Grants listed in one report at most; `truncated` says when there were more. */
const REPORT_LIMIT = 5000;

export interface UnusedAccessReport {
  since: Date;
  /** Approved access (activated) under which no session was seen while it was active. */
  unused: number;
  truncated: boolean;
  people: Array<{ personId: string; email: string; unused: number; requestIds: string[] }>;
  flows: Array<{
    flowId: string;
    flowName: string | null;
    granted: number;
    unused: number;
    requestIds: string[];
  }>;
  grants: UnusedGrantRow[];
}

/** What security teams read to tighten flows: access approved and never used. */
@Injectable()
export class UsageReportsService {
  constructor(private readonly usage: UsageRepository) {}

  async unusedAccess(since: Date, now = new Date()): Promise<UnusedAccessReport> {
    const rows = await this.usage.unusedGrants(since, now, REPORT_LIMIT + 1);
    const grants = rows.slice(0, REPORT_LIMIT);
    const granted = new Map((await this.usage.grantsPerFlow(since)).map((f) => [f.flowId, f]));
    const people = new Map<string, UnusedAccessReport['people'][number]>();
    const flows = new Map<string, UnusedAccessReport['flows'][number]>();
    for (const g of grants) {
      const p = people.get(g.personId) ?? {
        personId: g.personId,
        email: g.personEmail,
        unused: 0,
        requestIds: [],
      };
      p.unused++;
      p.requestIds.push(g.requestId);
      people.set(g.personId, p);
      const f = flows.get(g.flowId) ?? {
        flowId: g.flowId,
        flowName: g.flowName,
        granted: granted.get(g.flowId)?.granted ?? 0,
        unused: 0,
        requestIds: [],
      };
      f.unused++;
      f.requestIds.push(g.requestId);
      flows.set(g.flowId, f);
    }
    const byCount = <T extends { unused: number }>(a: T, b: T) => b.unused - a.unused;
    return {
      since,
      unused: grants.length,
      truncated: rows.length > REPORT_LIMIT,
      people: [...people.values()].sort(byCount),
      flows: [...flows.values()].sort(byCount),
      grants,
    };
  }
}
