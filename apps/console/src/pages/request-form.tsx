import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useMemo, useState } from 'react';
import { ApiError, get, post, query } from '../api';
import { Empty, ErrorNote, Field } from '../components';
import { navigate } from '../router';
import { choicesFor } from '../request-choices';
import type { AccessRequest, CatalogView, Flow, Integration, WhyView } from '../types';

export function RequestForm() {
  const qc = useQueryClient();
  const integrations = useQuery({
    queryKey: ['integrations'],
    queryFn: () => get<Integration[]>('/api/v1/integrations'),
  });
  const flows = useQuery({
    queryKey: ['flows'],
    queryFn: () => get<Flow[]>('/api/v1/access-flows'),
  });
  const [integrationId, setIntegrationId] = useState('');
  const [resource, setResource] = useState('');
  const [permission, setPermission] = useState('');
  const [duration, setDuration] = useState('');
  const [justification, setJustification] = useState('');
  const [flowId, setFlowId] = useState('');

  const withFlows = (integrations.data ?? []).filter((i) =>
    flows.data?.some((f) => f.integrationId === i.id),
  );
  const catalog = useQuery({
    queryKey: ['catalog', integrationId],
    queryFn: () => get<CatalogView>(`/api/v1/integrations/${integrationId}/catalog`),
    enabled: integrationId !== '',
  });
  const choices = useMemo(
    () =>
      choicesFor(
        (flows.data ?? []).filter((f) => f.integrationId === integrationId),
        catalog.data,
      ),
    [flows.data, catalog.data, integrationId],
  );
  const choice = choices.find((c) => `${c.database}.${c.schema}` === resource);
  const why = useQuery({
    queryKey: ['why', integrationId, choice?.database, choice?.schema, permission],
    queryFn: () =>
      get<WhyView>(
        `/api/v1/access-flows/why${query({ integrationId, database: choice?.database, schema: choice?.schema, permission })}`,
      ),
    enabled: !!choice && permission !== '',
  });
  const allowing = why.data?.flows ?? [];
  // The flow that judges a request without flowId, when the rules pick one (see chooseFlow).
  const picked = allowing.find((f) => f.judges);
  // Several flows tied: the person picks one (the API refuses to guess).
  const judge = allowing.find((f) => f.flowId === flowId) ?? picked;

  const submit = useMutation({
    mutationFn: () =>
      post<AccessRequest>('/api/v1/access-requests', {
        integrationId,
        database: choice?.database,
        schema: choice?.schema,
        permission,
        ...(duration ? { duration } : {}),
        ...(justification ? { justification } : {}),
        ...(flowId ? { flowId } : {}),
      }),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['requests'] });
      navigate('/');
    },
  });
  const err = submit.error instanceof ApiError ? submit.error : undefined;
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    submit.mutate();
  };

  if (integrations.isPending || flows.isPending) return <p>Loading…</p>;
  return (
    <section aria-labelledby="request-title">
      <h1 id="request-title">Request access</h1>
      <ErrorNote error={integrations.error ?? flows.error} />
      {withFlows.length === 0 ? (
        <Empty>No integration has an access flow yet: there is nothing to ask for.</Empty>
      ) : (
        <form onSubmit={onSubmit} noValidate>
          <Field label="Integration" error={err?.fieldMessage('integrationId')}>
            {(id, d) => (
              <select
                id={id}
                aria-describedby={d}
                value={integrationId}
                onChange={(e) => {
                  setIntegrationId(e.target.value);
                  setResource('');
                  setPermission('');
                  setFlowId('');
                }}
              >
                <option value="">Choose…</option>
                {withFlows.map((i) => (
                  <option key={i.id} value={i.id}>
                    {i.name} ({i.host})
                  </option>
                ))}
              </select>
            )}
          </Field>
          {integrationId && (
            <Field
              label="Schema"
              error={err?.fieldMessage('schema') ?? err?.fieldMessage('database')}
              hint={
                catalog.data && !catalog.data.discoveredAt
                  ? 'The catalog has not been read yet: these are the schemas the flows name.'
                  : undefined
              }
            >
              {(id, d) => (
                <select
                  id={id}
                  aria-describedby={d}
                  value={resource}
                  onChange={(e) => {
                    setResource(e.target.value);
                    setPermission('');
                  }}
                >
                  <option value="">Choose…</option>
                  {choices.map((c) => (
                    <option key={`${c.database}.${c.schema}`} value={`${c.database}.${c.schema}`}>
                      {c.database}.{c.schema}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          )}
          {choice && (
            <Field label="Permission" error={err?.fieldMessage('permission')}>
              {(id, d) => (
                <select
                  id={id}
                  aria-describedby={d}
                  value={permission}
                  onChange={(e) => setPermission(e.target.value)}
                >
                  <option value="">Choose…</option>
                  {choice.levels.map((l) => (
                    <option key={l} value={l}>
                      {l}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          )}
          <ErrorNote error={why.error} />
          {why.data && !why.data.allowed && <p className="error">{why.data.reason}</p>}
          {why.data?.choice && <p className="hint">{why.data.choice}</p>}
          {allowing.length > 1 && (
            <Field label="Access flow" error={err?.fieldMessage('flowId')}>
              {(id, d) => (
                <select
                  id={id}
                  aria-describedby={d}
                  value={flowId}
                  onChange={(e) => setFlowId(e.target.value)}
                >
                  <option value="">
                    {picked ? `The one Doorman picks (${picked.name})` : 'Choose…'}
                  </option>
                  {allowing.map((f) => (
                    <option key={f.flowId} value={f.flowId}>
                      {f.name}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          )}
          {judge && (
            <>
              <p className="flow-summary">
                Judged by <strong>{judge.name}</strong>:{' '}
                {judge.autoApprove
                  ? 'approved automatically within its limits'
                  : judge.steps
                      .map(
                        (s) =>
                          `step ${s.step} needs ${s.quorum} of ${s.approvers.map((a) => a.email).join(', ') || 'nobody'}`,
                      )
                      .join('; then ')}
                .
              </p>
              <Field
                label="Duration"
                error={err?.fieldMessage('duration')}
                hint={`e.g. 30m, 2h, 1d — at most ${judge.maxDuration}; ${judge.defaultDuration} when left empty`}
              >
                {(id, d) => (
                  <input
                    id={id}
                    aria-describedby={d}
                    value={duration}
                    placeholder={judge.defaultDuration}
                    onChange={(e) => setDuration(e.target.value.trim())}
                  />
                )}
              </Field>
              <Field
                label={judge.justificationRequired ? 'Why (required)' : 'Why'}
                error={err?.fieldMessage('justification')}
              >
                {(id, d) => (
                  <textarea
                    id={id}
                    aria-describedby={d}
                    rows={3}
                    value={justification}
                    onChange={(e) => setJustification(e.target.value)}
                  />
                )}
              </Field>
            </>
          )}
          <ErrorNote error={submit.error} />
          <button type="submit" className="primary" disabled={!judge || submit.isPending}>
            {submit.isPending ? 'Sending…' : 'Request access'}
          </button>
        </form>
      )}
    </section>
  );
}
