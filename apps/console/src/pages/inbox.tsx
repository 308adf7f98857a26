import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { get, post } from '../api';
import { Empty, ErrorNote, usePeople } from '../components';
import { when } from '../format';
import { Link } from '../router';
import type { AccessRequest, Approval, Flow, Session } from '../types';

/** What waits for my decision: pending requests that name me among their approvers. */
export function Inbox({ session }: { session: Session }) {
  const me = session.person.id;
  const pending = useQuery({
    queryKey: ['requests', 'pending'],
    queryFn: () => get<AccessRequest[]>('/api/v1/access-requests?status=PENDING&limit=200'),
    refetchInterval: 3000,
  });
  const flows = useQuery({
    queryKey: ['flows'],
    queryFn: () => get<Flow[]>('/api/v1/access-flows'),
  });
  const mine = (pending.data ?? []).filter((r) => r.approverIds.includes(me));
  return (
    <section aria-labelledby="inbox-title">
      <h1 id="inbox-title">Approvals</h1>
      <ErrorNote error={pending.error} />
      {pending.isPending ? (
        <p>Loading…</p>
      ) : mine.length === 0 ? (
        <Empty>Nothing waits for your decision.</Empty>
      ) : (
        <ul className="cards">
          {mine.map((r) => (
            <InboxItem
              key={r.id}
              r={r}
              session={session}
              flow={flows.data?.find((f) => f.id === r.flowId)}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

function InboxItem({ r, session, flow }: { r: AccessRequest; session: Session; flow?: Flow }) {
  const qc = useQueryClient();
  const person = usePeople(session);
  const [reason, setReason] = useState('');
  const approvals = useQuery({
    queryKey: ['approvals', r.id],
    queryFn: () => get<Approval[]>(`/api/v1/access-requests/${r.id}/approvals`),
    refetchInterval: 3000,
  });
  const decide = useMutation({
    mutationFn: (decision: 'approve' | 'deny') =>
      post<AccessRequest>(
        `/api/v1/access-requests/${r.id}/${decision}`,
        decision === 'deny' && reason ? { reason } : {},
      ),
    onSuccess: () =>
      Promise.all([
        qc.invalidateQueries({ queryKey: ['requests'] }),
        qc.invalidateQueries({ queryKey: ['approvals', r.id] }),
      ]),
  });
  const step = flow?.steps[r.currentStep - 1];
  const approvedNow = (approvals.data ?? []).filter(
    (a) => a.step === r.currentStep && a.decision === 'approve',
  );
  const reasonId = `reason-${r.id}`;
  return (
    <li
      className="card"
      data-request-id={r.id}
      aria-label={`Request by ${person(r.requesterId, r.requesterEmail)}`}
    >
      <p>
        <strong>{person(r.requesterId, r.requesterEmail)}</strong> asks for{' '}
        <strong>{r.permission}</strong> on <strong>{r.resource}</strong> for{' '}
        <strong>{r.duration}</strong>
        {r.breakGlass ? ' (break-glass)' : ''}
        {r.kind === 'extension' ? ' (an extension)' : ''}
      </p>
      <p className="justification">
        {r.justification ? `“${r.justification}”` : 'No reason given.'}
      </p>
      <p className="hint">
        {r.flowName ?? 'Flow'} · step {r.currentStep}
        {flow ? ` of ${flow.steps.length}` : ''}
        {step ? ` · ${approvedNow.length} of ${step.quorum} approvals` : ''}
        {r.escalated ? ' · escalated' : ''} · asked {when(r.createdAt)}
        {r.requesterId === session.person.id ? ' · your own request' : ''} ·{' '}
        <Link to={`/requests/${r.id}`}>details</Link>
      </p>
      <div className="inline">
        <label htmlFor={reasonId}>Reason (for a denial)</label>
        <input
          id={reasonId}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          placeholder="optional"
        />
        <button
          type="button"
          className="primary"
          disabled={decide.isPending}
          onClick={() => decide.mutate('approve')}
        >
          Approve
        </button>
        <button
          type="button"
          className="danger"
          disabled={decide.isPending}
          onClick={() => decide.mutate('deny')}
        >
          Deny
        </button>
      </div>
      <ErrorNote error={decide.error} />
    </li>
  );
}
