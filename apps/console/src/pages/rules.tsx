import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { get, post } from '../api';
import { Empty, ErrorNote } from '../components';
import { when } from '../format';
import type { Integration } from '../types';
import { FlowForm, type FlowView } from './flow-form';

interface Connector {
  id: string;
  name: string;
  version: string | null;
  serverVersion: string | null;
  lastHeartbeatAt: string | null;
  healthy: boolean;
}

export function Connectors() {
  const connectors = useQuery({
    queryKey: ['connectors'],
    queryFn: () => get<Connector[]>('/api/v1/connectors'),
    refetchInterval: 10_000,
  });
  return (
    <section aria-labelledby="connectors-title">
      <h1 id="connectors-title">Connectors</h1>
      <ErrorNote error={connectors.error} />
      {(connectors.data ?? []).length === 0 ? (
        <Empty>No connector yet.</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Health</th>
              <th scope="col">Last heartbeat</th>
              <th scope="col">Version</th>
            </tr>
          </thead>
          <tbody>
            {(connectors.data ?? []).map((c) => (
              <tr key={c.id}>
                <td>{c.name}</td>
                <td>
                  <span className={`badge ${c.healthy ? 'badge-active' : 'badge-failed'}`}>
                    {c.healthy ? 'healthy' : 'not heard from'}
                  </span>
                </td>
                <td>{when(c.lastHeartbeatAt)}</td>
                <td>{c.version ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

interface Exposure {
  flow: string;
  change: 'opens' | 'closes';
  message: string;
}

interface ApplyResult {
  changes?: string[];
  exposure?: Exposure[];
  [key: string]: unknown;
}

/**
 * The access flows as they are, a form to create one or save a new version of one, and a
 * policy file tried first (dry run) and then applied.
 */
export function AccessRules() {
  const qc = useQueryClient();
  const flows = useQuery({
    queryKey: ['flows'],
    queryFn: () => get<FlowView[]>('/api/v1/access-flows'),
  });
  // The flow being edited in the form, 'new' for a new one, null when the form is closed.
  const [editing, setEditing] = useState<FlowView | 'new' | null>(null);
  const integrations = useQuery({
    queryKey: ['integrations'],
    queryFn: () => get<Integration[]>('/api/v1/integrations'),
  });
  const [yaml, setYaml] = useState('');
  // Apply is offered for the very text a dry run accepted, never for an edit made after it.
  const [tried, setTried] = useState<string | null>(null);
  const apply = useMutation({
    mutationFn: (dryRun: boolean) => post<ApplyResult>('/api/v1/policy/apply', { yaml, dryRun }),
    onSuccess: async (_r, dryRun) => {
      setTried(dryRun ? yaml : null);
      if (!dryRun) await qc.invalidateQueries();
    },
  });
  const name = (id: string) => integrations.data?.find((i) => i.id === id)?.name ?? id.slice(0, 8);
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    apply.mutate(true);
  };
  return (
    <section aria-labelledby="rules-title">
      <h1 id="rules-title">Access flows</h1>
      <ErrorNote error={flows.error} />
      {editing ? (
        <FlowForm
          key={editing === 'new' ? 'new' : `${editing.id}@${editing.version}`}
          flow={editing === 'new' ? null : editing}
          onDone={() => setEditing(null)}
        />
      ) : (
        <p>
          <button type="button" onClick={() => setEditing('new')}>
            New flow
          </button>
        </p>
      )}
      <table>
        <thead>
          <tr>
            <th scope="col">Flow</th>
            <th scope="col">Integration</th>
            <th scope="col">Offers</th>
            <th scope="col">Approval</th>
            <th scope="col">Longest</th>
            <th scope="col" />
          </tr>
        </thead>
        <tbody>
          {(flows.data ?? []).map((f) => (
            <tr key={f.id}>
              <td>
                {f.name} <span className="hint">v{f.version}</span>
              </td>
              <td>{name(f.integrationId)}</td>
              <td>
                {f.permissions.join('/')} on{' '}
                {f.resources.map((r) => r.role ?? `${r.database}.${r.schema}`).join(', ')}
              </td>
              <td>
                {f.steps.length
                  ? f.steps.map((s, i) => `step ${i + 1}: ${s.quorum}`).join(', ')
                  : 'automatic'}
              </td>
              <td>{f.maxDuration}</td>
              <td>
                <button
                  type="button"
                  className="small"
                  aria-label={`Edit ${f.name}`}
                  onClick={() => setEditing(f)}
                >
                  Edit
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Policy file</h2>
      <form onSubmit={onSubmit}>
        <label htmlFor="policy-yaml">YAML (see the access flows documentation)</label>
        <textarea
          id="policy-yaml"
          rows={14}
          value={yaml}
          onChange={(e) => setYaml(e.target.value)}
          spellCheck={false}
        />
        <div className="inline">
          <button type="submit" disabled={!yaml.trim() || apply.isPending}>
            Dry run
          </button>
          <button
            type="button"
            className="primary"
            disabled={apply.isPending || tried !== yaml}
            onClick={() => apply.mutate(false)}
          >
            Apply
          </button>
        </div>
      </form>
      {/* The API names each error's line in its message. */}
      <ErrorNote error={apply.error} />
      {apply.data && (
        <div role="status">
          <p>{apply.variables ? 'A dry run: nothing was changed. It would:' : 'Applied:'}</p>
          {apply.data.changes ? (
            apply.data.changes.length ? (
              <ul>
                {apply.data.changes.map((c, i) => (
                  <li key={i}>{c}</li>
                ))}
              </ul>
            ) : (
              <Empty>change nothing.</Empty>
            )
          ) : (
            <pre>{JSON.stringify(apply.data, null, 2)}</pre>
          )}
          {/* What the flow changes open up is what a reviewer weighs before Apply. */}
          {!!apply.data.exposure?.length && (
            <>
              <p>
                {apply.variables ? 'What it opens up or closes:' : 'What it opened up or closed:'}
              </p>
              <ul aria-label="exposure">
                {apply.data.exposure.map((e, i) => (
                  <li key={i}>
                    <strong>{e.change === 'opens' ? 'Opens' : 'Closes'}</strong> ({e.flow}):{' '}
                    {e.message}
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
    </section>
  );
}
