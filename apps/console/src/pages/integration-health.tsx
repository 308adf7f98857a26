import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { get, post } from '../api';
import { CopyButton, Empty, ErrorNote } from '../components';
import { when } from '../format';
import type { CatalogView } from '../types';

interface DoctorView {
  discoveredAt: string | null;
  pending: boolean;
  lastError: string | null;
  summary: { ok: number; missing: number; warn: number; info: number };
  lines: Array<{
    check: string;
    status: 'ok' | 'missing' | 'warn' | 'info';
    detail: string;
    fix?: string;
  }>;
}

interface AdminRotationView {
  adminRotationDays: number;
  lastRotatedAt: string | null;
  dueAt: string | null;
  pending: boolean;
  lastError: string | null;
}

/** What the connector last read on the server: the catalog, and "read it again now". */
export function CatalogSummary({ id, canManage }: { id: string; canManage: boolean }) {
  const qc = useQueryClient();
  const catalog = useQuery({
    queryKey: ['catalog', id],
    queryFn: () => get<CatalogView>(`/api/v1/integrations/${id}/catalog`),
    refetchInterval: 10_000,
  });
  const discover = useMutation({
    mutationFn: () => post(`/api/v1/integrations/${id}/discover`),
    onSuccess: () =>
      Promise.all([
        qc.invalidateQueries({ queryKey: ['catalog', id] }),
        qc.invalidateQueries({ queryKey: ['doctor', id] }),
      ]),
  });
  const c = catalog.data;
  return (
    <>
      <h2>Catalog</h2>
      <ErrorNote error={catalog.error ?? discover.error} />
      {c && (
        <p>
          {c.discoveredAt
            ? `Read ${when(c.discoveredAt)}${c.fresh ? '' : ' (stale)'}`
            : 'Not read yet'}
          {c.pending ? ' · a discovery is running' : ''}
          {c.lastError ? ` · last error: ${c.lastError}` : ''}{' '}
          {canManage && (
            <button
              type="button"
              className="small"
              disabled={discover.isPending || c.pending}
              onClick={() => discover.mutate()}
            >
              Read again now
            </button>
          )}
        </p>
      )}
      {c && c.databases.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Schema</th>
              <th scope="col">Owner</th>
              <th scope="col">Grantable</th>
            </tr>
          </thead>
          <tbody>
            {c.databases.flatMap((d) =>
              d.schemas.map((s) => (
                <tr key={`${d.name}.${s.schema}`}>
                  <td>
                    {d.name}.{s.schema}
                  </td>
                  <td>{s.owner}</td>
                  <td>{s.grantable.join(', ') || s.reason || 'nothing'}</td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      )}
    </>
  );
}

/** The doctor's checks from the latest discovery, each with the SQL that fixes it. */
export function DoctorReport({ id }: { id: string }) {
  const doctor = useQuery({
    queryKey: ['doctor', id],
    queryFn: () => get<DoctorView>(`/api/v1/integrations/${id}/doctor`),
    refetchInterval: 30_000,
  });
  const d = doctor.data;
  return (
    <>
      <h2>Doctor</h2>
      <ErrorNote error={doctor.error} />
      {d && (
        <p>
          {d.summary.ok} ok · {d.summary.missing} missing · {d.summary.warn} warnings ·{' '}
          {d.summary.info} notes
        </p>
      )}
      {d && d.lines.length === 0 ? (
        <Empty>No report yet: it comes with the next discovery.</Empty>
      ) : (
        <ul className="doctor">
          {(d?.lines ?? []).map((l, i) => (
            <li key={i} className={`doctor-${l.status}`}>
              <strong>{l.status}</strong> {l.check}: {l.detail}
              {l.fix && (
                <div>
                  <code>{l.fix}</code> <CopyButton text={l.fix} label="fix-it SQL" />
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

/** The connector's own login: when it was rotated, when it is due, and "rotate now". */
export function AdminRotation({ id, canManage }: { id: string; canManage: boolean }) {
  const qc = useQueryClient();
  const state = useQuery({
    queryKey: ['admin-credentials', id],
    queryFn: () => get<AdminRotationView>(`/api/v1/integrations/${id}/admin-credentials`),
    refetchInterval: 10_000,
  });
  const rotate = useMutation({
    mutationFn: () => post(`/api/v1/integrations/${id}/admin-credentials/rotate`),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['admin-credentials', id] }),
  });
  const s = state.data;
  return (
    <>
      <h2>Connector login rotation</h2>
      <ErrorNote error={state.error ?? rotate.error} />
      {s && (
        <p>
          Last rotated {when(s.lastRotatedAt)} · due {when(s.dueAt)}
          {s.pending ? ' · rotating now' : ''}
          {s.lastError ? ` · last error: ${s.lastError}` : ''}{' '}
          {canManage && (
            <button
              type="button"
              className="small"
              disabled={s.pending || rotate.isPending}
              onClick={() => rotate.mutate()}
            >
              Rotate now
            </button>
          )}
        </p>
      )}
    </>
  );
}
