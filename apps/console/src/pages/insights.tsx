import { useQuery } from '@tanstack/react-query';
import { get } from '../api';
import { BarChart } from '../chart';
import { ErrorNote } from '../components';
import { approvalLatency, expiryOverstay, grantsPerDay } from '../insights';
import type { AccessRequest } from '../types';

/** Pictures from the broker's own data: the latest requests as the API lists them. */
export function Insights() {
  const requests = useQuery({
    queryKey: ['requests', 'recent'],
    queryFn: () => get<AccessRequest[]>('/api/v1/access-requests?limit=500'),
    refetchInterval: 30_000,
  });
  const list = requests.data ?? [];
  return (
    <section aria-labelledby="insights-title">
      <h1 id="insights-title">Insights</h1>
      <p className="hint">From the latest {list.length} requests.</p>
      <ErrorNote error={requests.error} />
      {requests.isPending && <p>Loading…</p>}
      {requests.data && (
        <div className="charts">
          <BarChart
            title="Grants started per day (last 14 days)"
            bars={grantsPerDay(list, 14, Date.now())}
          />
          <BarChart title="Time to a decision" bars={approvalLatency(list)} />
          <BarChart
            title="Expired grants: how long past their end until taken back"
            bars={expiryOverstay(list)}
          />
        </div>
      )}
    </section>
  );
}
