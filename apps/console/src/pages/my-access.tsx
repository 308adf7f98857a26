import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ApiError, get, post } from '../api';
import { ConfirmButton, Empty, ErrorNote, StatusBadge, useNow } from '../components';
import { timeLeft, when } from '../format';
import { Link } from '../router';
import type { AccessRequest } from '../types';
import { RevealCredentials } from './credentials';

const LIVE = ['APPROVED', 'GRANTING', 'ACTIVE', 'REVOKING'];

/** My requests, kept current while they move (approved, granted, expired) without a reload. */
export function useMyRequests() {
  return useQuery({
    queryKey: ['requests', 'mine'],
    queryFn: () => get<AccessRequest[]>('/api/v1/access-requests?mine=true&limit=200'),
    refetchInterval: 3000,
  });
}

export function MyAccess() {
  const mine = useMyRequests();
  const now = useNow();
  const requests = mine.data ?? [];
  const live = requests.filter((r) => LIVE.includes(r.status));
  const pending = requests.filter((r) => r.status === 'PENDING');
  const past = requests.filter((r) => !LIVE.includes(r.status) && r.status !== 'PENDING');
  return (
    <section aria-labelledby="mine-title">
      <h1 id="mine-title">My access</h1>
      <p>
        <Link to="/request" className="button primary">
          Request access
        </Link>
      </p>
      <ErrorNote error={mine.error} />
      <h2>Active</h2>
      {live.length === 0 ? (
        <Empty>You hold no access right now.</Empty>
      ) : (
        <ul className="cards">
          {live.map((r) => (
            <li key={r.id} className="card" data-request-id={r.id}>
              <Summary r={r} />
              {r.status === 'ACTIVE' ? (
                <>
                  <p className="time-left">{timeLeft(r.expiresAt, now)}</p>
                  <RevealCredentials requestId={r.id} />
                  <Extend r={r} />
                  <Revoke r={r} />
                </>
              ) : (
                <p className="hint">
                  {r.status === 'REVOKING' ? 'Being revoked…' : 'Being granted…'}
                </p>
              )}
            </li>
          ))}
        </ul>
      )}
      <h2>Waiting for approval</h2>
      {pending.length === 0 ? (
        <Empty>Nothing waits.</Empty>
      ) : (
        <ul className="cards">
          {pending.map((r) => (
            <li key={r.id} className="card" data-request-id={r.id}>
              <Summary r={r} />
              <p className="hint">
                Step {r.currentStep}
                {r.pendingExpiresAt ? ` · lapses ${when(r.pendingExpiresAt)}` : ''}
              </p>
              <Cancel r={r} />
            </li>
          ))}
        </ul>
      )}
      <h2>History</h2>
      {past.length === 0 ? (
        <Empty>No earlier requests.</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Asked</th>
              <th scope="col">What</th>
              <th scope="col">For</th>
              <th scope="col">Status</th>
              <th scope="col">Why it ended</th>
              <th scope="col">Receipt</th>
            </tr>
          </thead>
          <tbody>
            {past.map((r) => (
              <tr key={r.id} data-request-id={r.id}>
                <td>
                  <Link to={`/requests/${r.id}`}>{when(r.createdAt)}</Link>
                </td>
                <td>
                  {r.permission} on {r.resource}
                </td>
                <td>{r.duration}</td>
                <td>
                  <StatusBadge status={r.status} />
                </td>
                <td>{r.statusReason ?? r.lastError ?? '—'}</td>
                <td>
                  <Link to={`/requests/${r.id}/receipt`}>Receipt</Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Summary({ r }: { r: AccessRequest }) {
  return (
    <p>
      <StatusBadge status={r.status} /> <strong>{r.permission}</strong> on{' '}
      <strong>{r.resource}</strong> for {r.duration}
      {r.kind === 'extension' ? ' (extension)' : ''}
      {r.breakGlass ? ' · break-glass' : ''}
      {r.flowName ? <span className="hint"> · {r.flowName}</span> : null}{' '}
      <Link to={`/requests/${r.id}`} className="hint">
        details
      </Link>
    </p>
  );
}

function useAction(path: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: Record<string, unknown>) => post<AccessRequest>(path, body),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['requests'] }),
  });
}

function Extend({ r }: { r: AccessRequest }) {
  const extend = useAction(`/api/v1/access-requests/${r.id}/extend`);
  const [open, setOpen] = useState(false);
  const [duration, setDuration] = useState('1h');
  const err = extend.error instanceof ApiError ? extend.error : undefined;
  if (!open)
    return (
      <button type="button" onClick={() => setOpen(true)}>
        Extend
      </button>
    );
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    extend.mutate({ duration }, { onSuccess: () => setOpen(false) });
  };
  return (
    <form className="inline" onSubmit={onSubmit}>
      <label>
        More time{' '}
        <input value={duration} size={6} onChange={(e) => setDuration(e.target.value.trim())} />
      </label>
      <button type="submit" disabled={extend.isPending}>
        Ask for it
      </button>
      <button type="button" onClick={() => setOpen(false)}>
        Cancel
      </button>
      {err?.fieldMessage('duration') ? (
        <small className="field-error" role="alert">
          {err.fieldMessage('duration')}
        </small>
      ) : (
        <ErrorNote error={extend.error} />
      )}
    </form>
  );
}

function Revoke({ r }: { r: AccessRequest }) {
  const revoke = useAction(`/api/v1/access-requests/${r.id}/revoke`);
  return (
    <>
      <ConfirmButton
        label="Revoke now"
        confirm="End this access and its sessions now?"
        danger
        disabled={revoke.isPending}
        onConfirm={() => revoke.mutate({ reason: 'revoked from the console' })}
      />
      <ErrorNote error={revoke.error} />
    </>
  );
}

function Cancel({ r }: { r: AccessRequest }) {
  const cancel = useAction(`/api/v1/access-requests/${r.id}/cancel`);
  return (
    <>
      <button type="button" onClick={() => cancel.mutate({})} disabled={cancel.isPending}>
        Cancel request
      </button>
      <ErrorNote error={cancel.error} />
    </>
  );
}
