import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { get, post, query } from '../api';
import { ConfirmButton, Empty, ErrorNote, useNow, usePeople } from '../components';
import { timeLeft, when } from '../format';
import { Link } from '../router';
import type { AccessRequest, Integration, Session } from '../types';
import { hasRole } from '../session';
import { AdminRotation, CatalogSummary, DoctorReport } from './integration-health';
import { IntegrationSettingsForm } from './integration-settings';

const useIntegrations = () =>
  useQuery({
    queryKey: ['integrations'],
    queryFn: () => get<Integration[]>('/api/v1/integrations'),
  });

export function Integrations() {
  const integrations = useIntegrations();
  return (
    <section aria-labelledby="integrations-title">
      <h1 id="integrations-title">Integrations</h1>
      <ErrorNote error={integrations.error} />
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Server</th>
            <th scope="col">SSL mode</th>
            <th scope="col">Rotation days</th>
            <th scope="col">Cleanup days</th>
            <th scope="col">Admin rotation days</th>
          </tr>
        </thead>
        <tbody>
          {(integrations.data ?? []).map((i) => (
            <tr key={i.id}>
              <td>
                <Link to={`/integrations/${i.id}`}>{i.name}</Link>
              </td>
              <td>
                {i.host}:{i.port} ({i.databases.join(', ')})
              </td>
              <td>{i.sslMode}</td>
              <td>{i.rotationDays}</td>
              <td>{i.cleanupDays}</td>
              <td>{i.adminRotationDays}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

interface DatabaseUser {
  id: string;
  username: string;
  personEmail: string | null;
  state: string;
  passwordAgeDays: number | null;
  rotationDueAt?: string | null;
  cleanupDueAt?: string | null;
  lastError?: string | null;
}

export function IntegrationDetail({ id, session }: { id: string; session: Session }) {
  const qc = useQueryClient();
  const person = usePeople(session);
  const integration = useQuery({
    queryKey: ['integrations', id],
    queryFn: () => get<Integration>(`/api/v1/integrations/${id}`),
  });
  const users = useQuery({
    queryKey: ['database-users', id],
    queryFn: () => get<DatabaseUser[]>(`/api/v1/integrations/${id}/database-users`),
    refetchInterval: 10_000,
  });
  const [reason, setReason] = useState('');
  const revokeAll = useMutation({
    mutationFn: () => post<unknown>(`/api/v1/integrations/${id}/revoke-all`, { reason }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['requests'] }),
  });
  const i = integration.data;
  const canManage = hasRole(session, 'admin', 'security');
  return (
    <section aria-labelledby="integration-title">
      <h1 id="integration-title">{i?.name ?? 'Integration'}</h1>
      <ErrorNote error={integration.error} />
      {i && (
        <dl className="facts">
          <dt>Server</dt>
          <dd>
            {i.host}:{i.port}
          </dd>
          <dt>Databases</dt>
          <dd>{i.databases.join(', ')}</dd>
          <dt>SSL mode</dt>
          <dd>{i.sslMode}</dd>
          <dt>Password rotation</dt>
          <dd>{i.rotationDays ? `every ${i.rotationDays} days` : 'off'}</dd>
          <dt>Cleanup of unused database users</dt>
          <dd>{i.cleanupDays ? `after ${i.cleanupDays} days` : 'off'}</dd>
          <dt>Admin rotation</dt>
          <dd>{i.adminRotationDays ? `every ${i.adminRotationDays} days` : 'off'}</dd>
          <dt>Owners</dt>
          <dd>{i.ownerIds.map((id) => person(id)).join(', ') || '—'}</dd>
          <dt>Access details</dt>
          <dd>{i.customAccessDetails ?? '—'}</dd>
          <dt>Connection limit</dt>
          <dd>{i.connectionLimit ?? '—'}</dd>
        </dl>
      )}
      {i && canManage && <IntegrationSettingsForm integration={i} />}
      <CatalogSummary id={id} canManage={canManage} />
      <DoctorReport id={id} />
      <AdminRotation id={id} canManage={canManage} />
      {canManage && (
        <>
          <h2>Incident: revoke everyone</h2>
          <div className="inline">
            <label htmlFor="revoke-all-reason">Reason</label>
            <input
              id="revoke-all-reason"
              value={reason}
              onChange={(e) => setReason(e.target.value)}
            />
            <ConfirmButton
              label="Revoke all"
              confirm={`End every grant on ${i?.name ?? 'this integration'} now?`}
              danger
              disabled={!reason.trim() || revokeAll.isPending}
              onConfirm={() => revokeAll.mutate()}
            />
          </div>
          {revokeAll.isSuccess && <p role="status">Every grant there is being revoked.</p>}
          <ErrorNote error={revokeAll.error} />
        </>
      )}
      <h2>Database users</h2>
      <ErrorNote error={users.error} />
      {(users.data ?? []).length === 0 ? (
        <Empty>No database users yet.</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Username</th>
              <th scope="col">Person</th>
              <th scope="col">State</th>
              <th scope="col">Password age</th>
              <th scope="col">Cleanup due</th>
              <th scope="col">Last error</th>
            </tr>
          </thead>
          <tbody>
            {(users.data ?? []).map((u) => (
              <tr key={u.id}>
                <td>{u.username}</td>
                <td>{u.personEmail ?? '—'}</td>
                <td>{u.state}</td>
                <td>{u.passwordAgeDays === null ? '—' : `${u.passwordAgeDays} days`}</td>
                <td>{when(u.cleanupDueAt)}</td>
                <td>{u.lastError ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Every active grant, with revoke; it refreshes by itself as grants start and end. */
export function ActiveBoard({ session }: { session: Session }) {
  const qc = useQueryClient();
  const now = useNow();
  const person = usePeople(session);
  const active = useQuery({
    queryKey: ['requests', 'active'],
    queryFn: () =>
      get<AccessRequest[]>(`/api/v1/access-requests${query({ status: 'ACTIVE', limit: 500 })}`),
    refetchInterval: 3000,
  });
  const revoke = useMutation({
    mutationFn: (id: string) =>
      post(`/api/v1/access-requests/${id}/revoke`, {
        reason: 'revoked by security from the console',
      }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['requests'] }),
  });
  return (
    <section aria-labelledby="board-title">
      <h1 id="board-title">Active access</h1>
      <ErrorNote error={active.error ?? revoke.error} />
      {(active.data ?? []).length === 0 ? (
        <Empty>Nobody holds access now.</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Who</th>
              <th scope="col">What</th>
              <th scope="col">Since</th>
              <th scope="col">Time left</th>
              <th scope="col" />
            </tr>
          </thead>
          <tbody>
            {(active.data ?? []).map((r) => (
              <tr key={r.id} data-request-id={r.id}>
                <td>{person(r.requesterId, r.requesterEmail)}</td>
                <td>
                  {r.permission} on {r.resource}{' '}
                  {r.breakGlass && <span className="badge badge-breakglass">break-glass</span>}
                </td>
                <td>{when(r.grantedAt)}</td>
                <td>{timeLeft(r.expiresAt, now)}</td>
                <td>
                  <ConfirmButton
                    label="Revoke"
                    confirm="End it now?"
                    danger
                    onConfirm={() => revoke.mutate(r.id)}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Break-glass grants waiting for security's follow-up, closed with a note. */
export function BreakGlassReviews({ session }: { session: Session }) {
  const qc = useQueryClient();
  const person = usePeople(session);
  const reviews = useQuery({
    queryKey: ['requests', 'reviews'],
    queryFn: () => get<AccessRequest[]>('/api/v1/break-glass-reviews?status=open'),
    refetchInterval: 10_000,
  });
  const [notes, setNotes] = useState<Record<string, string>>({});
  const close = useMutation({
    mutationFn: (id: string) =>
      post(`/api/v1/access-requests/${id}/review`, { note: notes[id] ?? '' }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['requests'] }),
  });
  return (
    <section aria-labelledby="reviews-title">
      <h1 id="reviews-title">Break-glass reviews</h1>
      <ErrorNote error={reviews.error ?? close.error} />
      {(reviews.data ?? []).length === 0 ? (
        <Empty>No break-glass access waits for review.</Empty>
      ) : (
        <ul className="cards">
          {(reviews.data ?? []).map((r) => (
            <li key={r.id} className="card">
              <p>
                <strong>{person(r.requesterId, r.requesterEmail)}</strong> took {r.permission} on{' '}
                {r.resource} at {when(r.grantedAt)}: “{r.justification ?? 'no reason given'}”
              </p>
              <div className="inline">
                <label htmlFor={`note-${r.id}`}>Review note</label>
                <input
                  id={`note-${r.id}`}
                  value={notes[r.id] ?? ''}
                  onChange={(e) => setNotes({ ...notes, [r.id]: e.target.value })}
                />
                <button
                  type="button"
                  disabled={!notes[r.id]?.trim()}
                  onClick={() => close.mutate(r.id)}
                >
                  Close review
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
