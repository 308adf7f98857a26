import { useQuery } from '@tanstack/react-query';
import { type ReactNode, useEffect, useId, useState } from 'react';
import { ApiError, get } from './api';
import { hasRole } from './session';
import type { RequestStatus, Session, User } from './types';

/** An error as the API worded it (with the field messages when it named fields). */
export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : 'something went wrong';
  const code = error instanceof ApiError ? error.code : null;
  const stepUp = error instanceof ApiError ? stepUpUrl(error) : null;
  return (
    <p role="alert" className="error">
      {code && <strong>{code}: </strong>}
      {message}
      {stepUp && (
        <>
          {' '}
          <button type="button" className="primary" onClick={() => window.location.assign(stepUp)}>
            Sign in again
          </button>
        </>
      )}
    </p>
  );
}

/**
 * A flow that wants a fresh or stronger sign-in says where to get one: the broker's own login
 * route, which brings the person back to the console. Nothing else is followed.
 */
function stepUpUrl(error: ApiError): string | null {
  const { code, stepUpUrl: url } = error.body;
  return code === 'step_up_required' && typeof url === 'string' && url.startsWith('/auth/login?')
    ? url
    : null;
}

/** A labelled control with the API's message for its field under it. */
export function Field({
  label,
  error,
  hint,
  children,
}: {
  label: string;
  error?: string;
  hint?: ReactNode;
  children: (id: string, describedBy: string | undefined) => ReactNode;
}) {
  const id = useId();
  const describedBy = error ? `${id}-error` : hint ? `${id}-hint` : undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id, describedBy)}
      {hint && !error && (
        <small id={`${id}-hint`} className="hint">
          {hint}
        </small>
      )}
      {error && (
        <small id={`${id}-error`} className="field-error" role="alert">
          {error}
        </small>
      )}
    </div>
  );
}

export function StatusBadge({ status }: { status: RequestStatus }) {
  return <span className={`badge badge-${status.toLowerCase()}`}>{status}</span>;
}

/** Copies text; says so for a moment. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState(false);
  useEffect(() => {
    if (!done) return;
    const t = setTimeout(() => setDone(false), 1500);
    return () => clearTimeout(t);
  }, [done]);
  return (
    <button
      type="button"
      className="small"
      aria-label={`Copy ${label}`}
      onClick={() => {
        void navigator.clipboard?.writeText(text).then(() => setDone(true));
      }}
    >
      {done ? 'Copied' : 'Copy'}
    </button>
  );
}

/** The current time, ticking each second: for "time left" that counts down without a refetch. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

/**
 * People's emails by id, for those allowed to list people (admin, security, auditor); others
 * see the email a request's answer names (requesterEmail), else the id.
 */
export function usePeople(
  session: Session,
): (id: string | null | undefined, email?: string | null) => string {
  const allowed = hasRole(session, 'admin', 'security', 'auditor');
  const people = useQuery({
    queryKey: ['users'],
    queryFn: () => get<User[]>('/api/v1/users'),
    enabled: allowed,
    staleTime: 60_000,
  });
  return (id, email) => {
    if (!id) return '—';
    if (id === session.person.id) return `${session.person.email} (you)`;
    return people.data?.find((u) => u.id === id)?.email ?? email ?? `person ${id.slice(0, 8)}`;
  };
}

/** A button that asks first: the second click (on "Yes, …") does it. */
export function ConfirmButton({
  label,
  confirm,
  onConfirm,
  disabled,
  danger,
}: {
  label: string;
  confirm: string;
  onConfirm: () => void;
  disabled?: boolean;
  danger?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <button
        type="button"
        className={danger ? 'danger' : undefined}
        disabled={disabled}
        onClick={() => setAsking(true)}
      >
        {label}
      </button>
    );
  return (
    <span className="confirm" role="group" aria-label={confirm}>
      <span>{confirm}</span>
      <button
        type="button"
        className="danger"
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        Yes, {label.toLowerCase()}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        No
      </button>
    </span>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}
