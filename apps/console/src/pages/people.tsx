import { useQuery } from '@tanstack/react-query';
import { get } from '../api';
import { Empty, ErrorNote, StatusBadge } from '../components';
import { when } from '../format';
import { Link } from '../router';
import type { AccessRequest, AuditEvent, User } from '../types';

export function People() {
  const users = useQuery({ queryKey: ['users'], queryFn: () => get<User[]>('/api/v1/users') });
  return (
    <section aria-labelledby="people-title">
      <h1 id="people-title">People</h1>
      <ErrorNote error={users.error} />
      <table>
        <thead>
          <tr>
            <th scope="col">Email</th>
            <th scope="col">Name</th>
            <th scope="col">Roles</th>
          </tr>
        </thead>
        <tbody>
          {(users.data ?? []).map((u) => (
            <tr key={u.id}>
              <td>
                <Link to={`/people/${u.id}`}>{u.email}</Link>
              </td>
              <td>{u.name}</td>
              <td>{u.roles.join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** A person's activity: what they asked for and everything they did. */
export function PersonActivity({ id }: { id: string }) {
  const users = useQuery({ queryKey: ['users'], queryFn: () => get<User[]>('/api/v1/users') });
  const activity = useQuery({
    queryKey: ['activity', id],
    queryFn: () =>
      get<{ events: AuditEvent[]; requests: AccessRequest[] }>(`/api/v1/users/${id}/activity`),
    refetchInterval: 15_000,
  });
  const who = users.data?.find((u) => u.id === id);
  return (
    <section aria-labelledby="activity-title">
      <h1 id="activity-title">{who ? `${who.name} (${who.email})` : 'Activity'}</h1>
      <ErrorNote error={activity.error} />
      <h2>Requests</h2>
      {(activity.data?.requests ?? []).length === 0 ? (
        <Empty>No requests.</Empty>
      ) : (
        <table>
          <tbody>
            {activity.data!.requests.map((r) => (
              <tr key={r.id}>
                <td>{when(r.createdAt)}</td>
                <td>
                  {r.permission} on {r.resource} for {r.duration}
                </td>
                <td>
                  <StatusBadge status={r.status} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Actions</h2>
      {(activity.data?.events ?? []).length === 0 ? (
        <Empty>No audited actions.</Empty>
      ) : (
        <table>
          <tbody>
            {activity.data!.events.map((e) => (
              <tr key={e.id}>
                <td>{when(e.at)}</td>
                <td>{e.action}</td>
                <td>{e.channel ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
