import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, ApiError, get } from '../api';
import { ErrorNote, Field } from '../components';
import type { Integration, User } from '../types';

const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

interface Draft {
  sslMode: string;
  rotationDays: string;
  cleanupDays: string;
  adminRotationDays: string;
  customAccessDetails: string;
  ownerIds: string[];
  connectionLimit: string;
}

const draftOf = (i: Integration): Draft => ({
  sslMode: i.sslMode,
  rotationDays: String(i.rotationDays),
  cleanupDays: String(i.cleanupDays),
  adminRotationDays: String(i.adminRotationDays),
  customAccessDetails: i.customAccessDetails ?? '',
  ownerIds: i.ownerIds,
  connectionLimit: String(i.connectionLimit ?? 10),
});

/** A number as typed: the API, not the console, says whether it is acceptable. */
const asNumber = (s: string): number | string =>
  s.trim() !== '' && !isNaN(Number(s)) ? Number(s) : s;

/**
 * The integration's settings that may change after creation, sent as one PATCH; the API
 * checks them and its words show under each field.
 */
export function IntegrationSettingsForm({ integration }: { integration: Integration }) {
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const [draft, setDraft] = useState<Draft>(() => draftOf(integration));
  const people = useQuery({
    queryKey: ['users'],
    queryFn: () => get<User[]>('/api/v1/users'),
    staleTime: 60_000,
  });
  const save = useMutation({
    mutationFn: () =>
      api<Integration>('PATCH', `/api/v1/integrations/${integration.id}`, {
        sslMode: draft.sslMode,
        rotationDays: asNumber(draft.rotationDays),
        cleanupDays: asNumber(draft.cleanupDays),
        adminRotationDays: asNumber(draft.adminRotationDays),
        customAccessDetails: draft.customAccessDetails.trim() ? draft.customAccessDetails : null,
        ownerIds: draft.ownerIds,
        connectionLimit: asNumber(draft.connectionLimit),
      }),
    onSuccess: async () => {
      await Promise.all([
        qc.invalidateQueries({ queryKey: ['integrations'] }),
        qc.invalidateQueries({ queryKey: ['admin-credentials', integration.id] }),
      ]);
      setOpen(false);
    },
  });
  const err = save.error instanceof ApiError ? save.error : null;
  const set = (k: keyof Draft) => (e: { target: { value: string } }) =>
    setDraft({ ...draft, [k]: e.target.value });
  if (!open)
    return (
      <p>
        <button
          type="button"
          onClick={() => {
            setDraft(draftOf(integration));
            save.reset();
            setOpen(true);
          }}
        >
          Edit settings
        </button>
        {save.isSuccess && <span role="status"> Settings saved.</span>}
      </p>
    );
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  const number = (
    k: 'rotationDays' | 'cleanupDays' | 'adminRotationDays' | 'connectionLimit',
    label: string,
    hint: string,
  ) => (
    <Field label={label} hint={hint} error={err?.fieldMessage(k)}>
      {(id, d) => (
        <input
          id={id}
          aria-describedby={d}
          inputMode="numeric"
          value={draft[k]}
          onChange={set(k)}
        />
      )}
    </Field>
  );
  return (
    <form onSubmit={onSubmit} aria-label="Integration settings" className="stack">
      <h2>Edit settings</h2>
      <Field label="SSL mode" error={err?.fieldMessage('sslMode')}>
        {(id, d) => (
          <select id={id} aria-describedby={d} value={draft.sslMode} onChange={set('sslMode')}>
            {SSL_MODES.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        )}
      </Field>
      {number('rotationDays', 'Password rotation days', '0 turns rotation off')}
      {number('cleanupDays', 'Cleanup days', 'unused database users are dropped after; 0 is off')}
      {number('adminRotationDays', 'Admin rotation days', "the connector's own login; 0 is off")}
      {number('connectionLimit', 'Connection limit', 'per database user')}
      <Field
        label="Access details"
        hint="shown with credentials (400 characters at most)"
        error={err?.fieldMessage('customAccessDetails')}
      >
        {(id, d) => (
          <textarea
            id={id}
            aria-describedby={d}
            value={draft.customAccessDetails}
            onChange={set('customAccessDetails')}
          />
        )}
      </Field>
      <Field label="Owners" error={err?.fieldMessage('ownerIds')}>
        {(id, d) => (
          <select
            id={id}
            aria-describedby={d}
            multiple
            value={draft.ownerIds}
            onChange={(e) =>
              setDraft({
                ...draft,
                ownerIds: Array.from(e.target.selectedOptions, (o) => o.value),
              })
            }
          >
            {(people.data ?? []).map((u) => (
              <option key={u.id} value={u.id}>
                {u.email}
              </option>
            ))}
          </select>
        )}
      </Field>
      <ErrorNote error={save.error} />
      <div className="inline">
        <button type="submit" className="primary" disabled={save.isPending}>
          Save settings
        </button>
        <button type="button" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
