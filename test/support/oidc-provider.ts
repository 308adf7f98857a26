import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/**
 * A real OpenID Connect provider for tests: panva's oidc-provider in a child process
 * (scripts/demo-idp.mjs, the demo's provider too) on a free port of 127.0.0.1, with the demo's
 * people and their group claims. A child process because the package is ES modules only.
 */

export interface IdpPerson {
  login: string;
  password: string;
  email: string;
  emailVerified?: boolean;
  name: string;
  groups: string[];
}

/** The demo's people: who asks, who approves, who sets the rules (and one the provider never verified). */
export const DEMO_PEOPLE: IdpPerson[] = [
  {
    login: 'alice',
    password: 'alice-demo-password',
    email: 'alice@demo.doorman',
    name: 'Alice Engineer',
    groups: ['engineering'],
  },
  {
    login: 'bob',
    password: 'bob-demo-password',
    email: 'bob@demo.doorman',
    name: 'Bob Approver',
    groups: ['engineering', 'db-approvers'],
  },
  {
    login: 'sam',
    password: 'sam-demo-password',
    email: 'sam@demo.doorman',
    name: 'Sam Security Lead',
    groups: ['security-team'],
  },
  {
    login: 'mallory',
    password: 'mallory-demo-password',
    email: 'mallory@demo.doorman',
    emailVerified: false,
    name: 'Mallory Unverified',
    groups: ['security-team'],
  },
];

/** OIDC_ROLE_MAP for the demo's groups. */
export const DEMO_ROLE_MAP =
  'engineering=requester,db-approvers=approver,security-team=security,security-team=auditor';

export interface TestIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** OIDC_* variables for a broker signing in through this provider. */
  brokerEnv: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Starts the provider with one client whose redirect URI is `redirectUri` (the broker's
 * /auth/callback; the broker's port must be known first, or use a fixed one).
 */
export async function startTestIdp(opts: {
  redirectUris: string[];
  people?: IdpPerson[];
  clientId?: string;
  clientSecret?: string;
}): Promise<TestIdp> {
  const clientId = opts.clientId ?? 'doorman-test';
  const clientSecret = opts.clientSecret ?? 'doorman-test-client-secret';
  const child = spawn(process.execPath, [join(__dirname, '../../scripts/demo-idp.mjs')], {
    env: {
      ...process.env,
      DOORMAN_IDP_CONFIG: JSON.stringify({
        port: 0,
        clients: [
          { client_id: clientId, client_secret: clientSecret, redirect_uris: opts.redirectUris },
        ],
        people: opts.people ?? DEMO_PEOPLE,
      }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const issuer = await issuerOf(child);
  return {
    issuer,
    clientId,
    clientSecret,
    brokerEnv: {
      OIDC_ISSUER_URL: issuer,
      OIDC_CLIENT_ID: clientId,
      OIDC_CLIENT_SECRET: clientSecret,
      OIDC_ROLE_MAP: DEMO_ROLE_MAP,
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function issuerOf(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the test identity provider did not start: ${err}`));
    }, 20_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      // The provider's own account of a refusal, next to the test that caused it.
      if (/idp: |idp error/.test(d.toString())) process.stderr.write(d);
    });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /^issuer (\S+)$/m.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the test identity provider exited (${code}): ${err}`));
    });
  });
}

/**
 * A browser as far as sign-in needs one: a cookie jar per origin (httpOnly or not, it holds
 * them all), redirects followed by hand so each hop can be looked at.
 */
export class TestBrowser {
  private readonly jar = new Map<string, Map<string, string>>();

  cookie(origin: string, name: string): string | undefined {
    return this.jar.get(new URL(origin).origin)?.get(name);
  }

  setCookie(origin: string, name: string, value: string): void {
    const o = new URL(origin).origin;
    if (!this.jar.has(o)) this.jar.set(o, new Map());
    this.jar.get(o)!.set(name, value);
  }

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const origin = new URL(url).origin;
    const cookies = [...(this.jar.get(origin) ?? new Map<string, string>())]
      .map(([k, v]) => `${k}=${v}`)
      .join('; ');
    const headers = new Headers(init.headers);
    if (cookies) headers.set('cookie', cookies);
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) this.store(origin, line);
    return res;
  }

  private store(origin: string, line: string): void {
    const [pair, ...attrs] = line.split(';');
    const at = pair.indexOf('=');
    const name = pair.slice(0, at).trim();
    const value = pair.slice(at + 1).trim();
    if (!this.jar.has(origin)) this.jar.set(origin, new Map());
    const gone = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '';
    if (gone) this.jar.get(origin)!.delete(name);
    else this.jar.get(origin)!.set(name, value);
  }

  /** Follows redirects from `url` while `more(next)` says so; returns the last response. */
  async follow(
    url: string,
    more: (next: URL) => boolean,
    init?: RequestInit,
  ): Promise<{ res: Response; url: string }> {
    let res = await this.fetch(url, init);
    for (let hops = 0; hops < 20 && res.status >= 300 && res.status < 400; hops++) {
      const next = new URL(res.headers.get('location')!, url);
      if (!more(next)) return { res, url };
      url = next.href;
      res = await this.fetch(url);
    }
    return { res, url };
  }
}

export interface SignInResult {
  /** The broker's last answer: a 302 to returnTo on success, the refusal otherwise. */
  res: Response;
  /** Where the broker sent the browser (success), if it did. */
  location?: string;
  /** The doorman_session cookie, when one was set. */
  session?: string;
}

/**
 * Signs in as a person of the test provider, the way a browser does: /auth/login, the
 * provider's form, its redirects, the broker's callback. Stops at the broker's answer to it.
 */
export async function signInThroughIdp(
  browser: TestBrowser,
  brokerUrl: string,
  person: { login: string; password: string },
  query: Record<string, string> = {},
): Promise<SignInResult> {
  const broker = new URL(brokerUrl).origin;
  const notOnBrokerYet = (next: URL) => next.origin !== broker || next.pathname === '/auth/login';
  const start = `${brokerUrl}/auth/login?${new URLSearchParams(query).toString()}`;
  const first = await browser.follow(start, notOnBrokerYet);
  const url = first.url;
  let res = first.res;
  if (res.status === 200 && new URL(url).origin !== broker) {
    // The provider's sign-in form.
    const html = await res.text();
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    if (!action) throw new Error(`no sign-in form at ${url}: ${html.slice(0, 300)}`);
    const posted = await browser.follow(new URL(action, url).href, notOnBrokerYet, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login: person.login, password: person.password }).toString(),
    });
    if (posted.res.status !== 303 && posted.res.status !== 302)
      throw new Error(`the provider refused the sign-in: ${posted.res.status}`);
    // The provider's last redirect goes to the broker's callback.
    const callback = new URL(posted.res.headers.get('location')!, posted.url).href;
    res = await browser.fetch(callback);
  } else if (new URL(url).origin !== broker) {
    // Already signed in at the provider: its redirect went straight back to the callback.
    const callback = new URL(res.headers.get('location')!, url).href;
    res = await browser.fetch(callback);
  }
  return {
    res,
    location: res.status === 302 ? (res.headers.get('location') ?? undefined) : undefined,
    session: browser.cookie(broker, 'doorman_session'),
  };
}
