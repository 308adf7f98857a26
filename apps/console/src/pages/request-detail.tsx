import { useQuery } from '@tanstack/react-query';
import { get } from '../api';
import { Empty, ErrorNote, StatusBadge, usePeople } from '../components';
import { when } from '../format';
import { Link } from '../router';
import type { AccessRequest, Approval, AuditEvent, Session } from '../types';

/** One request as its requester, approvers and auditors may see it: decisions and its trail. */
export function RequestDetail({ id, session }: { id: string; session: Session }) {
  const person = usePeople(session);
  const request = useQuery({
    queryKey: ['requests', id],
    queryFn: () => get<AccessRequest>(`/api/v1/access-requests/${id}`),
    refetchInterval: 5000,
  });
  const approvals = useQuery({
    queryKey: ['approvals', id],
    queryFn: () => get<Approval[]>(`/api/v1/access-requests/${id}/approvals`),
    refetchInterval: 5000,
  });
  const trail = useQuery({
    queryKey: ['audit', 'request', id],
    queryFn: () => get<AuditEvent[]>(`/api/v1/audit-events?requestId=${id}`),
    refetchInterval: 10_000,
  });
  const r = request.data;
  return (
    <section aria-labelledby="request-title">
      <h1 id="request-title">Request</h1>
      <ErrorNote error={request.error} />
      <p>
        <Link to={`/requests/${id}/receipt`}>Receipt</Link>
      </p>
      {r && (
        <dl className="facts">
          <dt>Status</dt>
          <dd>
            <StatusBadge status={r.status} /> {r.statusReason ?? ''}
          </dd>
          <dt>Who</dt>
          <dd>{person(r.requesterId, r.requesterEmail)}</dd>
          <dt>What</dt>
          <dd>
            {r.permission} on {r.resource} for {r.duration}
            {r.breakGlass ? ' (break-glass)' : ''}
          </dd>
          <dt>Why</dt>
          <dd>{r.justification ?? '—'}</dd>
          <dt>Flow</dt>
          <dd>
            {r.flowName ?? r.flowId} · step {r.currentStep}
          </dd>
          <dt>Asked</dt>
          <dd>{when(r.createdAt)}</dd>
          <dt>Granted</dt>
          <dd>{when(r.grantedAt)}</dd>
          <dt>Ends</dt>
          <dd>{when(r.endedAt ?? r.expiresAt)}</dd>
          {r.lastError && (
            <>
              <dt>Last error</dt>
              <dd className="error">{r.lastError}</dd>
            </>
          )}
        </dl>
      )}
      <h2>Decisions</h2>
      <ErrorNote error={approvals.error} />
      {(approvals.data ?? []).length === 0 ? (
        <Empty>No decision yet.</Empty>
      ) : (
        <ul>
          {approvals.data!.map((a) => (
            <li key={`${a.step}-${a.approverId}`}>
              Step {a.step}: {person(a.approverId)} — {a.decision}
              {a.reason ? ` (“${a.reason}”)` : ''} via {a.channel}, {when(a.at)}
            </li>
          ))}
        </ul>
      )}
      <h2>Audit trail</h2>
      <ErrorNote error={trail.error} />
      {(trail.data ?? []).length > 0 && (
        <ol>
          {trail.data!.map((e) => (
            <li key={e.id}>
              {when(e.at)} · {e.action} · {e.actorId ? person(e.actorId) : 'Doorman'}
              {e.channel ? ` · ${e.channel}` : ''}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
