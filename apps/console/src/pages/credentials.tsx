import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { post } from '../api';
import { CopyButton, ErrorNote } from '../components';
import { psqlCommand, when } from '../format';
import type { Credentials } from '../types';

const MASK = '••••••••••••';

/**
 * Reveal credentials: each reveal is a call the broker audits. The answer lives in this
 * component only (no query cache, no storage): closing the panel drops it from the page and
 * from memory. The password, and what contains it, stay masked until "Show" is pressed.
 */
export function RevealCredentials({ requestId }: { requestId: string }) {
  const reveal = useMutation({
    mutationFn: () => post<Credentials>(`/api/v1/access-requests/${requestId}/credentials`),
    gcTime: 0,
  });
  const [shown, setShown] = useState(false);
  const close = () => {
    setShown(false);
    reveal.reset();
  };
  if (!reveal.data)
    return (
      <>
        <button type="button" onClick={() => reveal.mutate()} disabled={reveal.isPending}>
          {reveal.isPending ? 'Revealing…' : 'Reveal credentials'}
        </button>
        <ErrorNote error={reveal.error} />
      </>
    );
  const c = reveal.data;
  // The connection string carries the password URL-encoded: masked in both spellings.
  const secret = (text: string) =>
    shown
      ? text
      : text.split(c.password).join(MASK).split(encodeURIComponent(c.password)).join(MASK);
  const psql = psqlCommand(c.connectionString);
  return (
    <div className="credentials" role="region" aria-label="Credentials">
      <dl>
        <dt>Host</dt>
        <dd>
          {c.host}:{c.port} <CopyButton text={c.host} label="host" />
        </dd>
        <dt>Database</dt>
        <dd>{c.database}</dd>
        <dt>Username</dt>
        <dd>
          <code data-testid="username">{c.username}</code>{' '}
          <CopyButton text={c.username} label="username" />
        </dd>
        <dt>Password</dt>
        <dd>
          <code data-testid="password">{shown ? c.password : MASK}</code>{' '}
          <button
            type="button"
            className="small"
            aria-pressed={shown}
            onClick={() => setShown(!shown)}
          >
            {shown ? 'Hide' : 'Show'}
          </button>{' '}
          <CopyButton text={c.password} label="password" />
        </dd>
        <dt>SSL mode</dt>
        <dd>{c.sslMode}</dd>
        <dt>Connection string</dt>
        <dd>
          <code data-testid="connection-string">{secret(c.connectionString)}</code>{' '}
          <CopyButton text={c.connectionString} label="connection string" />
        </dd>
        <dt>psql</dt>
        <dd>
          <code data-testid="psql">{secret(psql)}</code>{' '}
          <CopyButton text={psql} label="psql command" />
        </dd>
        {c.expiresAt && (
          <>
            <dt>Valid until</dt>
            <dd>{when(c.expiresAt)}</dd>
          </>
        )}
      </dl>
      {c.customAccessDetails && <p className="hint">{c.customAccessDetails}</p>}
      {c.caCertificate && (
        <details>
          <summary>Server CA certificate (for verify-ca / verify-full)</summary>
          <pre>{c.caCertificate}</pre>
          <CopyButton text={c.caCertificate} label="CA certificate" />
        </details>
      )}
      <button type="button" onClick={close}>
        Close
      </button>
    </div>
  );
}
