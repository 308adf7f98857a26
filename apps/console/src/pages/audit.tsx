import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { get, query } from '../api';
import { Empty, ErrorNote, usePeople } from '../components';
import { auditChanges, localInput, when } from '../format';
import { Link } from '../router';
import type { AuditEvent, Integration, Session } from '../types';

interface Verdict {
  ok: boolean;
  checked: number;
  lastSeq: number | null;
  unsealed?: number;
  brokenAt?: number;
  reason?: string;
}

const iso = (local: string) => (local ? new Date(local).toISOString() : undefined);

/** The audit trail with filters, and the hash chain's verification at the top. */
export function AuditExplorer({ session }: { session: Session }) {
  const person = usePeople(session);
  const verify = useQuery({
    queryKey: ['audit', 'verify'],
    queryFn: () => get<Verdict>('/api/v1/audit-events/verify'),
    refetchInterval: 30_000,
  });
  const [draft, setDraft] = useState({
    action: '',
    requestId: '',
    integrationId: '',
    from: '',
    to: '',
  });
  const [filter, setFilter] = useState(draft);
  const events = useQuery({
    queryKey: ['audit', 'events', filter],
    queryFn: () =>
      get<AuditEvent[]>(
        `/api/v1/audit-events${query({ ...filter, from: iso(filter.from), to: iso(filter.to), limit: 500 })}`,
      ),
    refetchInterval: 10_000,
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    setFilter(draft);
  };
  const set = (k: keyof typeof draft) => (e: { target: { value: string } }) =>
    setDraft({ ...draft, [k]: e.target.value });
  const v = verify.data;
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit</h1>
      <div
        role="status"
        className={v ? (v.ok ? 'verdict ok' : 'verdict broken') : 'verdict'}
        aria-label="Hash chain"
      >
        {verify.isPending
          ? 'Verifying the hash chain…'
          : v?.ok
            ? `Hash chain verified: ${v.checked} events${v.unsealed ? `, ${v.unsealed} not sealed yet` : ''}.`
            : v
              ? `Hash chain BROKEN${v.brokenAt !== undefined ? ` at event ${v.brokenAt}` : ''}: ${v.reason ?? 'see the API answer'}`
              : null}
        <ErrorNote error={verify.error} />
      </div>
      <form className="filters" onSubmit={onSubmit}>
        <label>
          Action{' '}
          <input value={draft.action} onChange={set('action')} placeholder="request.approved" />
        </label>
        <label>
          Request id <input value={draft.requestId} onChange={set('requestId')} />
        </label>
        <label>
          Integration id <input value={draft.integrationId} onChange={set('integrationId')} />
        </label>
        <label>
          From <input type="datetime-local" value={draft.from} onChange={set('from')} />
        </label>
        <label>
          To <input type="datetime-local" value={draft.to} onChange={set('to')} />
        </label>
        <button type="submit">Filter</button>
      </form>
      <p>
        Export:{' '}
        {(['jsonl', 'csv', 'cadf'] as const).map((format) => (
          <a
            key={format}
            className="button small"
            href={`/api/v1/audit-events/export${query({ ...filter, from: iso(filter.from), to: iso(filter.to), format })}`}
            download
          >
            {format.toUpperCase()}
          </a>
        ))}
      </p>
      <ErrorNote error={events.error} />
      {(events.data ?? []).length === 0 ? (
        <Empty>No events match.</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Action</th>
              <th scope="col">Who</th>
              <th scope="col">Channel</th>
              <th scope="col">Request</th>
              <th scope="col">Changed</th>
            </tr>
          </thead>
          <tbody>
            {(events.data ?? []).map((e) => (
              <tr key={e.id}>
                <td>{when(e.at)}</td>
                <td>{e.action}</td>
                <td>{e.actorId ? person(e.actorId) : 'Doorman'}</td>
                <td>{e.channel ?? '—'}</td>
                <td>
                  {e.requestId ? (
                    <>
                      <Link to={`/requests/${e.requestId}`}>{e.requestId.slice(0, 8)}</Link> ·{' '}
                      <Link to={`/requests/${e.requestId}/receipt`}>Receipt</Link>
                    </>
                  ) : (
                    '—'
                  )}
                </td>
                <td>{auditChanges(e.details) || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

interface Interval {
  requestId: string;
  email: string;
  database: string;
  schema: string;
  permission: string;
  from: string;
  until: string | null;
  status: string;
  breakGlass: boolean;
}

/** Who had access to a database (or one schema) between two dates, as a timeline. */
export function AccessHistory() {
  const integrations = useQuery({
    queryKey: ['integrations'],
    queryFn: () => get<Integration[]>('/api/v1/integrations'),
  });
  const weekAgo = new Date(Date.now() - 7 * 86400_000);
  const [draft, setDraft] = useState({
    integrationId: '',
    database: '',
    schema: '',
    from: localInput(weekAgo),
    // The input holds minutes: the end of this minute, so what began seconds ago is in.
    to: localInput(new Date(Date.now() + 60_000)),
  });
  const [asked, setAsked] = useState<typeof draft | null>(null);
  const history = useQuery({
    queryKey: ['access-history', asked],
    queryFn: () =>
      get<Interval[]>(
        `/api/v1/access-history${query({ ...asked, from: iso(asked!.from), to: iso(asked!.to) })}`,
      ),
    enabled: asked !== null,
  });
  const set = (k: keyof typeof draft) => (e: { target: { value: string } }) =>
    setDraft({ ...draft, [k]: e.target.value });
  const integration = integrations.data?.find((i) => i.id === draft.integrationId);
  const start = asked ? new Date(asked.from).getTime() : 0;
  const end = asked ? new Date(asked.to).getTime() : 1;
  const pct = (t: number) =>
    `${(Math.min(Math.max(t - start, 0), end - start) / (end - start)) * 100}%`;
  return (
    <section aria-labelledby="history-title">
      <h1 id="history-title">Who had access</h1>
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setAsked(draft);
        }}
      >
        <label>
          Integration
          <select value={draft.integrationId} onChange={set('integrationId')}>
            <option value="">Choose…</option>
            {(integrations.data ?? []).map((i) => (
              <option key={i.id} value={i.id}>
                {i.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Database
          <select value={draft.database} onChange={set('database')}>
            <option value="">Choose…</option>
            {(integration?.databases ?? []).map((d) => (
              <option key={d}>{d}</option>
            ))}
          </select>
        </label>
        <label>
          Schema <input value={draft.schema} onChange={set('schema')} placeholder="all" />
        </label>
        <label>
          From <input type="datetime-local" value={draft.from} onChange={set('from')} />
        </label>
        <label>
          To <input type="datetime-local" value={draft.to} onChange={set('to')} />
        </label>
        <button type="submit" disabled={!draft.integrationId || !draft.database}>
          Show
        </button>
      </form>
      <ErrorNote error={history.error} />
      {asked && history.data && history.data.length === 0 && <Empty>Nobody had access then.</Empty>}
      {history.data && history.data.length > 0 && (
        <ol className="timeline" aria-label="Timeline">
          {history.data.map((h) => {
            const to = h.until ? new Date(h.until).getTime() : end;
            return (
              <li key={h.requestId}>
                <span className="who">
                  {h.email} · {h.permission} on {h.database}.{h.schema}
                  {h.breakGlass ? ' · break-glass' : ''}
                </span>
                <span className="track" aria-hidden="true">
                  {/* React sets style through the CSSOM, which a CSP without unsafe-inline allows. */}
                  <span
                    className="bar"
                    style={{
                      left: pct(new Date(h.from).getTime()),
                      width: `calc(${pct(to)} - ${pct(new Date(h.from).getTime())})`,
                    }}
                  />
                </span>
                <span className="when">
                  {when(h.from)} → {h.until ? when(h.until) : 'now'} ({h.status}) ·{' '}
                  <Link to={`/requests/${h.requestId}/receipt`}>Receipt</Link>
                </span>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
