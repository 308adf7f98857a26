import { useMutation, useQueryClient } from '@tanstack/react-query';
import { post, setCsrfToken } from './api';
import { ErrorNote } from './components';
import { Link, usePath } from './router';
import { hasRole, signIn, useSession } from './session';
import type { Session } from './types';
import { AccessHistory, AuditExplorer } from './pages/audit';
import { Inbox } from './pages/inbox';
import { Insights } from './pages/insights';
import { MyAccess } from './pages/my-access';
import { People, PersonActivity } from './pages/people';
import { ReceiptPage } from './pages/receipt';
import { RequestDetail } from './pages/request-detail';
import { RequestForm } from './pages/request-form';
import { AccessRules, Connectors } from './pages/rules';
import { ActiveBoard, BreakGlassReviews, IntegrationDetail, Integrations } from './pages/security';
import { Usage } from './pages/usage';

interface Page {
  path: string;
  title: string;
  /** Who sees it in the menu; the API decides what they may do there. */
  visible: (s: Session) => boolean;
}

const everyone = () => true;
const security = (s: Session) => hasRole(s, 'admin', 'security');
const auditors = (s: Session) => hasRole(s, 'admin', 'security', 'auditor');

const PAGES: Page[] = [
  { path: '/', title: 'My access', visible: everyone },
  { path: '/request', title: 'Request access', visible: everyone },
  { path: '/inbox', title: 'Approvals', visible: everyone },
  { path: '/integrations', title: 'Integrations', visible: auditors },
  { path: '/connectors', title: 'Connectors', visible: auditors },
  { path: '/flows', title: 'Access flows', visible: security },
  { path: '/active', title: 'Active access', visible: security },
  { path: '/reviews', title: 'Break-glass reviews', visible: security },
  { path: '/audit', title: 'Audit', visible: auditors },
  { path: '/history', title: 'Who had access', visible: auditors },
  { path: '/people', title: 'People', visible: auditors },
  { path: '/insights', title: 'Insights', visible: auditors },
  { path: '/usage', title: 'Unused access', visible: auditors },
];

export function App() {
  const session = useSession();
  if (session.isPending) return <p className="center">Loading…</p>;
  if (session.error)
    return (
      <main className="center">
        <ErrorNote error={session.error} />
      </main>
    );
  if (!session.data) return <SignedOut />;
  return <SignedIn session={session.data} />;
}

function SignedOut() {
  return (
    <main className="center signed-out">
      <h1>Doorman</h1>
      <p>Just-in-time access to PostgreSQL. Sign in with your company account.</p>
      <button type="button" className="primary" onClick={() => signIn()}>
        Sign in
      </button>
    </main>
  );
}

function SignedIn({ session }: { session: Session }) {
  const qc = useQueryClient();
  const path = usePath();
  const signOut = useMutation({
    mutationFn: () => post<void>('/auth/logout'),
    onSuccess: () => {
      setCsrfToken(null);
      qc.clear();
      window.location.assign('/console/');
    },
  });
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header>
        <span className="brand">Doorman</span>
        <nav aria-label="Pages">
          {PAGES.filter((p) => p.visible(session)).map((p) => (
            <Link key={p.path} to={p.path}>
              {p.title}
            </Link>
          ))}
        </nav>
        <span className="me">
          <span data-testid="signed-in-as">{session.person.email}</span>
          <button
            type="button"
            className="small"
            onClick={() => signOut.mutate()}
            disabled={signOut.isPending}
          >
            Sign out
          </button>
        </span>
      </header>
      <main id="main">
        <ErrorNote error={signOut.error} />
        <Route path={path} session={session} />
      </main>
    </>
  );
}

function Route({ path, session }: { path: string; session: Session }) {
  const integration = /^\/integrations\/([0-9a-f-]{36})$/.exec(path);
  if (integration) return <IntegrationDetail id={integration[1]} session={session} />;
  const receipt = /^\/requests\/([0-9a-f-]{36})\/receipt$/.exec(path);
  if (receipt) return <ReceiptPage id={receipt[1]} />;
  const request = /^\/requests\/([0-9a-f-]{36})$/.exec(path);
  if (request) return <RequestDetail id={request[1]} session={session} />;
  const someone = /^\/people\/([0-9a-f-]{36})$/.exec(path);
  if (someone) return <PersonActivity id={someone[1]} />;
  switch (path) {
    case '/':
      return <MyAccess />;
    case '/request':
      return <RequestForm />;
    case '/inbox':
      return <Inbox session={session} />;
    case '/integrations':
      return <Integrations />;
    case '/connectors':
      return <Connectors />;
    case '/flows':
      return <AccessRules />;
    case '/active':
      return <ActiveBoard session={session} />;
    case '/reviews':
      return <BreakGlassReviews session={session} />;
    case '/audit':
      return <AuditExplorer session={session} />;
    case '/history':
      return <AccessHistory />;
    case '/people':
      return <People />;
    case '/insights':
      return <Insights />;
    case '/usage':
      return <Usage />;
    default:
      return (
        <p>
          No such page. <Link to="/">My access</Link>
        </p>
      );
  }
}
