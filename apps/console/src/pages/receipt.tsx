import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { ApiError, get } from '../api';
import { CopyButton, Empty, ErrorNote } from '../components';
import { when } from '../format';
import { verifyReceipt, type ReceiptJwk } from '../receipt-verify';
import { Link } from '../router';

/** The receipt's fields as docs/receipts.md describes them, as far as this page shows them. */
type Who = { id: string; email: string | null } | null;
type Residue = { kind: string; object: string; detail: string };
interface Receipt {
  requestId: string;
  status: string;
  outcome: string;
  request: {
    requester: Who;
    integration: { id: string; name: string | null };
    resource: string;
    permission: string;
    duration: string;
    justification: string | null;
    kind: string;
    breakGlass: boolean;
    requestedAt: string;
    flow: { id: string; version: number; name: string | null };
  };
  approvals: Array<{
    step: number | null;
    by: Who;
    decision: string;
    reason: string | null;
    at: string;
    channel: string;
    authentication:
      | { method: 'token' }
      | { method: 'browser-session'; authTime: string | null; acr: string | null; amr: string[] }
      | null;
  }>;
  access: {
    databaseUser: string | null;
    grantedAt: string | null;
    expiresAt: string | null;
    effects: Array<{
      at: string;
      event: string;
      generation: number | null;
      statements: string[];
      sessionsTerminated?: number;
    }>;
  } | null;
  sessionsObserved: boolean;
  sessions: Array<{
    pid: number;
    database: string | null;
    clientAddr: string | null;
    applicationName: string;
    startedAt: string;
    lastSeenAt: string;
    endedAt: string | null;
  }>;
  ended: {
    how: string;
    at: string | null;
    by: Who;
    reason: string | null;
    appliedAt: string | null;
  } | null;
  verification: {
    checkedAt: string;
    clean: boolean;
    found: Residue[];
    fixed: Residue[];
    left: Residue[];
  } | null;
  auditEvents: Array<{ id: string; hash: string | null }>;
}

const receiptPath = (id: string) => `/api/v1/access-requests/${id}/receipt`;

/** The receipt as served, byte for byte: what is verified and what Download saves. */
async function servedText(path: string): Promise<string> {
  const res = await fetch(path, {
    credentials: 'same-origin',
    headers: { accept: 'application/json' },
  });
  const text = await res.text();
  if (res.ok) return text;
  let b: Record<string, unknown> = {};
  try {
    b = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: the status says it
  }
  throw new ApiError(
    res.status,
    typeof b.error === 'string' ? b.error : String(res.status),
    typeof b.message === 'string' ? b.message : `${res.status} ${res.statusText}`,
  );
}

const email = (w: Who) => (w ? (w.email ?? `person ${w.id.slice(0, 8)}`) : 'Doorman');

/** A request's signed receipt for people, with its signature checked here, in the browser. */
export function ReceiptPage({ id }: { id: string }) {
  const served = useQuery({
    queryKey: ['receipt', id],
    queryFn: () => servedText(receiptPath(id)),
  });
  const keys = useQuery({
    queryKey: ['receipt-keys'],
    queryFn: () => get<{ keys: ReceiptJwk[] }>('/.well-known/doorman-receipt-keys'),
    staleTime: 300_000,
  });
  const verdict = useQuery({
    queryKey: ['receipt-verdict', id, served.data, keys.data],
    queryFn: () => verifyReceipt(served.data!, keys.data!),
    enabled: served.data !== undefined && keys.data !== undefined,
  });
  const receipt = served.data ? parsed(served.data) : null;
  return (
    <section aria-labelledby="receipt-title">
      <h1 id="receipt-title">Access receipt</h1>
      <p>
        <Link to={`/requests/${id}`}>The request</Link>
      </p>
      <ErrorNote error={served.error ?? keys.error} />
      <p className="signature" role="status" data-testid="receipt-signature">
        {verdict.data?.ok === true ? (
          <>
            ✓ Signature: verified with key <code>{verdict.data.kid}</code>
          </>
        ) : verdict.data?.ok === false ? (
          <strong className="error">✗ The signature does not verify: {verdict.data.reason}</strong>
        ) : served.error || keys.error ? (
          'Signature: not checked'
        ) : (
          'Signature: checking…'
        )}
      </p>
      {served.data !== undefined && <Actions id={id} text={served.data} />}
      {receipt && <ReceiptFacts r={receipt} />}
    </section>
  );
}

function parsed(text: string): Receipt | null {
  try {
    return (JSON.parse(text) as { receipt: Receipt }).receipt ?? null;
  } catch {
    return null;
  }
}

function Actions({ id, text }: { id: string; text: string }) {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    const u = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [text]);
  const file = `receipt-${id}.json`;
  const command = `doorman receipt keys -o keys.json && doorman receipt verify ${file} --keys keys.json`;
  return (
    <div className="actions">
      {url && (
        <a className="button" href={url} download={file}>
          Download JSON
        </a>
      )}{' '}
      <span>
        Check it offline: <code data-testid="verify-command">{command}</code>{' '}
        <CopyButton text={command} label="verify command" />
      </span>
    </div>
  );
}

function ReceiptFacts({ r }: { r: Receipt }) {
  const q = r.request;
  const sealed = r.auditEvents.filter((e) => e.hash).length;
  return (
    <>
      <dl className="facts">
        <dt>Outcome</dt>
        <dd>
          {r.outcome} ({r.status})
        </dd>
        <dt>Who asked</dt>
        <dd>
          {email(q.requester)}, {when(q.requestedAt)}
        </dd>
        <dt>What</dt>
        <dd>
          {q.permission} on {q.resource} of {q.integration.name ?? q.integration.id} for{' '}
          {q.duration}
          {q.kind === 'extension' ? ' (extension)' : ''}
          {q.breakGlass ? ' (break-glass)' : ''}
        </dd>
        <dt>Why</dt>
        <dd>{q.justification ?? '—'}</dd>
        <dt>Flow</dt>
        <dd>
          {q.flow.name ?? q.flow.id} · version {q.flow.version}
        </dd>
        <dt>Audit events</dt>
        <dd>
          {r.auditEvents.length}, {sealed} sealed into the audit chain
        </dd>
      </dl>

      <h2>Approvals</h2>
      {r.approvals.length === 0 ? (
        <Empty>No decision.</Empty>
      ) : (
        <ul data-testid="receipt-approvals">
          {r.approvals.map((a, i) => (
            <li key={i}>
              {a.step !== null ? `Step ${a.step}: ` : ''}
              {a.by ? email(a.by) : a.channel === 'break-glass' ? 'break-glass' : 'the flow'} —{' '}
              {a.decision}
              {a.reason ? ` (“${a.reason}”)` : ''} via {a.channel}, {when(a.at)}
              {a.authentication && <> · signed in: {signIn(a.authentication)}</>}
            </li>
          ))}
        </ul>
      )}

      <h2>SQL effects</h2>
      {!r.access ? (
        <Empty>Never granted: nothing was done on the database.</Empty>
      ) : (
        <>
          <p>
            Database user <code>{r.access.databaseUser ?? '—'}</code>, granted{' '}
            {when(r.access.grantedAt)}, until {when(r.access.expiresAt)}
          </p>
          <ol>
            {r.access.effects.map((e, i) => (
              <li key={i}>
                {when(e.at)} · {e.event}
                {e.generation !== null ? ` · generation ${e.generation}` : ''}
                {e.sessionsTerminated ? ` · ${e.sessionsTerminated} session(s) ended` : ''}
                {e.statements.length > 0 && (
                  <ul>
                    {e.statements.map((s, j) => (
                      <li key={j}>
                        <code>{s}</code>
                      </li>
                    ))}
                  </ul>
                )}
              </li>
            ))}
          </ol>
        </>
      )}

      <h2>Sessions seen</h2>
      {!r.sessionsObserved ? (
        <Empty>No access to observe.</Empty>
      ) : r.sessions.length === 0 ? (
        <Empty>No session was seen while the access was active.</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Pid</th>
              <th scope="col">Database</th>
              <th scope="col">From</th>
              <th scope="col">Application</th>
              <th scope="col">Started</th>
              <th scope="col">Ended by</th>
            </tr>
          </thead>
          <tbody>
            {r.sessions.map((s) => (
              <tr key={`${s.pid}-${s.startedAt}`}>
                <td>{s.pid}</td>
                <td>{s.database ?? '—'}</td>
                <td>{s.clientAddr ?? 'local'}</td>
                <td>{s.applicationName || '—'}</td>
                <td>{when(s.startedAt)}</td>
                <td>{s.endedAt ? when(s.endedAt) : `seen ${when(s.lastSeenAt)}`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>How it ended</h2>
      {!r.ended ? (
        <Empty>It has not ended.</Empty>
      ) : (
        <p data-testid="receipt-ended">
          <strong>{r.ended.how}</strong> {when(r.ended.at)}
          {r.ended.by ? ` by ${email(r.ended.by)}` : ''}
          {r.ended.reason && r.ended.reason !== r.ended.how ? ` (“${r.ended.reason}”)` : ''}
          {r.ended.appliedAt ? ` · applied on the database ${when(r.ended.appliedAt)}` : ''}
        </p>
      )}

      <h2>Revoke check</h2>
      {!r.verification ? (
        <Empty>{r.access ? 'Not checked yet.' : 'Nothing to check: never granted.'}</Empty>
      ) : (
        <div data-testid="receipt-verification">
          <p>
            {r.verification.clean
              ? 'Clean: nothing of this access was left on the target.'
              : `Found ${r.verification.found.length}, fixed ${r.verification.fixed.length}, left ${r.verification.left.length}.`}{' '}
            Checked {when(r.verification.checkedAt)}.
          </p>
          {r.verification.left.length > 0 && (
            <ul>
              {r.verification.left.map((x, i) => (
                <li key={i}>
                  Left: {x.kind} {x.object} — {x.detail}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </>
  );
}

function signIn(a: NonNullable<Receipt['approvals'][number]['authentication']>): string {
  if (a.method === 'token') return 'API token';
  const parts = [`browser session since ${when(a.authTime)}`];
  if (a.amr.length) parts.push(`amr ${a.amr.join(', ')}`);
  if (a.acr) parts.push(`acr ${a.acr}`);
  return parts.join(' · ');
}
