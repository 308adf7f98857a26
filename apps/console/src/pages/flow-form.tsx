import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, ApiError, get } from '../api';
import { ErrorNote, Field } from '../components';
import type { Flow, Integration, User } from '../types';

const LEVELS = ['read', 'write', 'admin'] as const;

interface Spec {
  userIds: string[];
  groupIds: string[];
  integrationOwners?: boolean;
  resourceOwners?: boolean;
}

/** A flow as GET /access-flows answers it: what the form shows and what an edit carries over. */
export interface FlowView extends Omit<Flow, 'steps' | 'resources'> {
  requestors: { userIds: string[]; groupIds: string[] };
  resources: Array<{ database: string; schema: string; role?: string; ownerIds?: string[] }>;
  steps: Array<{
    approvers: Spec;
    quorum: number;
    timeout: string | null;
    onTimeout: string;
    fallback: Spec | null;
  }>;
  autoApprove: Record<string, unknown> | null;
  [more: string]: unknown;
}

interface Group {
  id: string;
  name: string;
}

interface Draft {
  name: string;
  integrationId: string;
  resources: string;
  permissions: string[];
  requestorUserIds: string[];
  requestorGroupIds: string[];
  approverUserIds: string[];
  approverGroupIds: string[];
  quorum: string;
  defaultDuration: string;
  maxDuration: string;
  autoApprove: boolean;
}

const resourceText = (r: FlowView['resources'][number]) =>
  r.role !== undefined ? `role:${r.role}` : `${r.database}.${r.schema}`;

const draftOf = (f: FlowView | null): Draft => ({
  name: f?.name ?? '',
  integrationId: f?.integrationId ?? '',
  resources: (f?.resources ?? []).map(resourceText).join('\n'),
  permissions: f?.permissions.filter((p) => p !== 'member') ?? ['read'],
  requestorUserIds: f?.requestors.userIds ?? [],
  requestorGroupIds: f?.requestors.groupIds ?? [],
  approverUserIds: f?.steps[0]?.approvers.userIds ?? [],
  approverGroupIds: f?.steps[0]?.approvers.groupIds ?? [],
  quorum: String(f?.steps[0]?.quorum ?? 1),
  defaultDuration: f?.defaultDuration ?? '1h',
  maxDuration: f?.maxDuration ?? '4h',
  autoApprove: !!f?.autoApprove,
});

/** Drops the nulls the view shows for "not set": the API's input leaves such fields out. */
const withoutNulls = <T extends Record<string, unknown>>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null)) as T;

const stepInput = (s: FlowView['steps'][number]) =>
  withoutNulls({ ...s, fallback: s.fallback && { ...s.fallback } });

/**
 * The body of POST or PUT /access-flows. An edit replaces the whole definition, so what the
 * form does not show (later steps, extensions, break-glass, sign-in rules…) is carried over.
 */
function bodyOf(d: Draft, base: FlowView | null): Record<string, unknown> {
  const byText = new Map((base?.resources ?? []).map((r) => [resourceText(r), r]));
  const resources = d.resources
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const ownerIds = byText.get(s)?.ownerIds ?? [];
      if (s.startsWith('role:')) return { role: s.slice(5).trim(), ownerIds };
      const dot = s.indexOf('.');
      return dot < 0
        ? { database: s, schema: '', ownerIds }
        : { database: s.slice(0, dot), schema: s.slice(dot + 1), ownerIds };
    });
  const first = base?.steps[0];
  const approvers = d.approverUserIds.length + d.approverGroupIds.length > 0;
  const steps = [
    ...(approvers
      ? [
          {
            ...(first ? stepInput(first) : {}),
            approvers: {
              ...(first?.approvers ?? {}),
              userIds: d.approverUserIds,
              groupIds: d.approverGroupIds,
            },
            quorum: /^\d+$/.test(d.quorum) ? Number(d.quorum) : d.quorum,
          },
        ]
      : []),
    ...(base?.steps.slice(1).map(stepInput) ?? []),
  ];
  const carried = base
    ? withoutNulls({
        allowSelfApproval: base.allowSelfApproval,
        justificationRequired: base.justificationRequired,
        pendingTtl: base.pendingTtl,
        extensions: base.extensions,
        breakGlass: base.breakGlass,
        priority: base.priority,
        slackChannel: base.slackChannel,
        approverAuthentication: base.approverAuthentication,
        requesterAuthentication: base.requesterAuthentication,
      })
    : {};
  const hasRoles = resources.some((r) => 'role' in r);
  const permissions = hasRoles ? [...d.permissions, 'member'] : d.permissions;
  return {
    ...carried,
    name: d.name,
    integrationId: d.integrationId,
    requestors: { userIds: d.requestorUserIds, groupIds: d.requestorGroupIds },
    resources,
    ...(permissions.length ? { permissions } : {}),
    steps,
    autoApprove: d.autoApprove ? withoutNulls(base?.autoApprove ?? {}) : null,
    defaultDuration: d.defaultDuration,
    maxDuration: d.maxDuration,
  };
}

/** Chosen ids from a multiple select. */
const chosen = (e: { target: HTMLSelectElement }) =>
  Array.from(e.target.selectedOptions, (o) => o.value);

/**
 * A flow's common fields as a form: a new flow (POST), or a new version of one (PUT). The
 * API checks the whole definition; its words show under the field it names.
 */
export function FlowForm({ flow, onDone }: { flow: FlowView | null; onDone: () => void }) {
  const qc = useQueryClient();
  const [d, setD] = useState<Draft>(() => draftOf(flow));
  const integrations = useQuery({
    queryKey: ['integrations'],
    queryFn: () => get<Integration[]>('/api/v1/integrations'),
  });
  const people = useQuery({
    queryKey: ['users'],
    queryFn: () => get<User[]>('/api/v1/users'),
    staleTime: 60_000,
  });
  const groups = useQuery({
    queryKey: ['groups'],
    queryFn: () => get<Group[]>('/api/v1/groups'),
    staleTime: 60_000,
  });
  const save = useMutation({
    mutationFn: () =>
      flow
        ? api<FlowView>('PUT', `/api/v1/access-flows/${flow.id}`, bodyOf(d, flow))
        : api<FlowView>('POST', '/api/v1/access-flows', bodyOf(d, null)),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['flows'] });
      onDone();
    },
  });
  const err = save.error instanceof ApiError ? save.error : null;
  const text =
    (k: 'name' | 'defaultDuration' | 'maxDuration' | 'quorum') =>
    (e: { target: { value: string } }) =>
      setD({ ...d, [k]: e.target.value });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  const pick = (
    label: string,
    field: string,
    value: string[],
    options: Array<{ id: string; label: string }>,
    onChange: (ids: string[]) => void,
  ) => (
    <Field label={label} error={err?.fieldMessage(field)}>
      {(id, described) => (
        <select
          id={id}
          aria-describedby={described}
          multiple
          value={value}
          onChange={(e) => onChange(chosen(e))}
        >
          {options.map((o) => (
            <option key={o.id} value={o.id}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
  const users = (people.data ?? []).map((u) => ({ id: u.id, label: u.email }));
  const teams = (groups.data ?? []).map((g) => ({ id: g.id, label: g.name }));
  return (
    <form
      onSubmit={onSubmit}
      aria-label={flow ? `Edit flow ${flow.name}` : 'New access flow'}
      className="stack"
    >
      <h2>{flow ? `Edit ${flow.name} (saves version ${flow.version + 1})` : 'New access flow'}</h2>
      <ErrorNote error={integrations.error ?? people.error ?? groups.error} />
      <Field label="Name" error={err?.fieldMessage('name')}>
        {(id, described) => (
          <input id={id} aria-describedby={described} value={d.name} onChange={text('name')} />
        )}
      </Field>
      <Field label="Integration" error={err?.fieldMessage('integrationId')}>
        {(id, described) => (
          <select
            id={id}
            aria-describedby={described}
            value={d.integrationId}
            onChange={(e) => setD({ ...d, integrationId: e.target.value })}
          >
            <option value="">Choose…</option>
            {(integrations.data ?? []).map((i) => (
              <option key={i.id} value={i.id}>
                {i.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field
        label="Resources"
        hint="one a line: database.schema (*.* is everything), or role:name"
        error={err?.fieldMessage('resources')}
      >
        {(id, described) => (
          <textarea
            id={id}
            aria-describedby={described}
            rows={3}
            spellCheck={false}
            value={d.resources}
            onChange={(e) => setD({ ...d, resources: e.target.value })}
          />
        )}
      </Field>
      <fieldset>
        <legend>Permissions</legend>
        {LEVELS.map((p) => (
          <label key={p} className="inline">
            <input
              type="checkbox"
              checked={d.permissions.includes(p)}
              onChange={(e) =>
                setD({
                  ...d,
                  permissions: e.target.checked
                    ? [...d.permissions, p]
                    : d.permissions.filter((x) => x !== p),
                })
              }
            />{' '}
            {p}
          </label>
        ))}
        {err?.fieldMessage('permissions') && (
          <small className="field-error" role="alert">
            {err.fieldMessage('permissions')}
          </small>
        )}
      </fieldset>
      {pick('Requestors: people', 'requestors', d.requestorUserIds, users, (v) =>
        setD({ ...d, requestorUserIds: v }),
      )}
      {pick('Requestors: groups', 'requestors.groupIds', d.requestorGroupIds, teams, (v) =>
        setD({ ...d, requestorGroupIds: v }),
      )}
      {pick('Approvers: people', 'steps', d.approverUserIds, users, (v) =>
        setD({ ...d, approverUserIds: v }),
      )}
      {pick('Approvers: groups', 'steps.0.approvers.groupIds', d.approverGroupIds, teams, (v) =>
        setD({ ...d, approverGroupIds: v }),
      )}
      <Field label="Approvals needed (quorum)" error={err?.fieldMessage('steps.0.quorum')}>
        {(id, described) => (
          <input
            id={id}
            aria-describedby={described}
            inputMode="numeric"
            value={d.quorum}
            onChange={text('quorum')}
          />
        )}
      </Field>
      <Field
        label="Default duration"
        hint="such as 30m, 1h"
        error={err?.fieldMessage('defaultDuration')}
      >
        {(id, described) => (
          <input
            id={id}
            aria-describedby={described}
            value={d.defaultDuration}
            onChange={text('defaultDuration')}
          />
        )}
      </Field>
      <Field label="Max duration" hint="such as 4h, 1d" error={err?.fieldMessage('maxDuration')}>
        {(id, described) => (
          <input
            id={id}
            aria-describedby={described}
            value={d.maxDuration}
            onChange={text('maxDuration')}
          />
        )}
      </Field>
      <label className="inline">
        <input
          type="checkbox"
          checked={d.autoApprove}
          onChange={(e) => setD({ ...d, autoApprove: e.target.checked })}
        />{' '}
        Auto-approve (no approver needed)
      </label>
      <ErrorNote error={save.error} />
      <div className="inline">
        <button type="submit" className="primary" disabled={save.isPending}>
          {flow ? 'Save new version' : 'Create flow'}
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
