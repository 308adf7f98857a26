import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { get, query } from '../api';
import { Empty, ErrorNote } from '../components';
import { when } from '../format';
import { Link } from '../router';

/** GET /reports/unused-access, as the broker answers it. */
interface UnusedAccessReport {
  since: string;
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
  grants: Array<{
    requestId: string;
    personId: string;
    personEmail: string;
    flowId: string;
    flowName: string | null;
    database: string;
    schema: string;
    permission: string;
    status: string;
    grantedAt: string;
    endedAt: string | null;
  }>;
}

const PERIODS = [7, 30, 90] as const;

/** Approved access nobody used (no session seen while it was active): flows to tighten. */
export function Usage() {
  const [days, setDays] = useState<(typeof PERIODS)[number]>(30);
  // Whole days: the query key (and the cache) stays the same for the day.
  const since = new Date(Math.floor(Date.now() / 86_400_000 - days) * 86_400_000).toISOString();
  const report = useQuery({
    queryKey: ['unused-access', since],
    queryFn: () => get<UnusedAccessReport>(`/api/v1/reports/unused-access${query({ since })}`),
  });
  const r = report.data;
  return (
    <section aria-labelledby="usage-title">
      <h1 id="usage-title">Unused access</h1>
      <p>
        Access that was approved and granted, under which the connector saw no session while it was
        active.
      </p>
      <label>
        Granted in the last{' '}
        <select
          value={days}
          onChange={(e) => setDays(Number(e.target.value) as (typeof PERIODS)[number])}
        >
          {PERIODS.map((d) => (
            <option key={d} value={d}>
              {d} days
            </option>
          ))}
        </select>
      </label>
      <ErrorNote error={report.error} />
      {report.isPending ? (
        <p>Loading…</p>
      ) : !r || r.unused === 0 ? (
        <Empty>Every grant in this period was used.</Empty>
      ) : (
        <>
          <p data-testid="unused-count">
            {r.unused} unused grant{r.unused === 1 ? '' : 's'}
            {r.truncated ? ' (the newest shown)' : ''}.
          </p>
          <h2>Per flow</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">Flow</th>
                <th scope="col">Unused</th>
                <th scope="col">Granted</th>
              </tr>
            </thead>
            <tbody>
              {r.flows.map((f) => (
                <tr key={f.flowId}>
                  <td>{f.flowName ?? f.flowId}</td>
                  <td>{f.unused}</td>
                  <td>{f.granted}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>Per person</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">Person</th>
                <th scope="col">Unused</th>
              </tr>
            </thead>
            <tbody>
              {r.people.map((p) => (
                <tr key={p.personId}>
                  <td>
                    <Link to={`/people/${p.personId}`}>{p.email}</Link>
                  </td>
                  <td>{p.unused}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>Grants</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">Granted</th>
                <th scope="col">Person</th>
                <th scope="col">Access</th>
                <th scope="col">Flow</th>
                <th scope="col">Ended</th>
              </tr>
            </thead>
            <tbody>
              {r.grants.map((g) => (
                <tr key={g.requestId}>
                  <td>
                    <Link to={`/requests/${g.requestId}`}>{when(g.grantedAt)}</Link>
                  </td>
                  <td>{g.personEmail}</td>
                  <td>
                    {g.permission} on {g.database}.{g.schema}
                  </td>
                  <td>{g.flowName ?? g.flowId}</td>
                  <td>{g.endedAt ? when(g.endedAt) : g.status}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
