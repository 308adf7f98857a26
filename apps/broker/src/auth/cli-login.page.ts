import type { CliLoginStart } from './cli-login.policy';

/** What the confirmation page shows: whose token the CLI gets, and which CLI asks. */
export interface CliConfirmation {
  start: CliLoginStart;
  email: string;
  name: string;
  csrfToken: string;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const html = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]);

/**
 * The code `doorman login` prints beside the address, from the state only it and this page
 * know: a person approves only when both show the same, so a link someone else started (to
 * get a token of the victim's) is told apart from their own login.
 */
export function cliLoginCode(start: Pick<CliLoginStart, 'state'>): string {
  return `${start.state.slice(0, 4)}-${start.state.slice(4, 8)}`;
}

/**
 * The page's own CSP: nothing loads, no script, and the form may only post here and be sent
 * on to the CLI's loopback address (form-action also governs the redirect after the post).
 */
export function cliPageCsp(start?: Pick<CliLoginStart, 'port'>): string {
  const targets = ["'self'", ...(start ? [`http://127.0.0.1:${start.port}`] : [])];
  return [
    "default-src 'none'",
    `form-action ${targets.join(' ')}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/** Pure: the confirmation page, every value escaped. */
export function cliConfirmPage(c: CliConfirmation): string {
  const hidden = (name: string, value: string) =>
    `<input type="hidden" name="${name}" value="${html(value)}">`;
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Doorman: sign in the CLI?</title></head>
<body>
<main>
<h1>Sign in the Doorman CLI?</h1>
<p>A <code>doorman login</code> waiting on this computer (<code>127.0.0.1:${c.start.port}</code>)
asks for a token of <strong data-testid="person">${html(c.email)}</strong> (${html(c.name)}).</p>
<p>Its code: <strong data-testid="code">${html(cliLoginCode(c.start))}</strong>.
Approve only if your terminal shows the same code; if you did not just run
<code>doorman login</code>, cancel.</p>
<form method="post" action="/auth/cli/complete">
${hidden('port', String(c.start.port))}
${hidden('state', c.start.state)}
${hidden('challenge', c.start.challenge)}
${hidden('csrf', c.csrfToken)}
<button type="submit" name="decision" value="approve">Approve sign-in</button>
<button type="submit" name="decision" value="cancel">Cancel</button>
</form>
<p>The CLI gets a token of yours for 30 days, named for its machine; <code>doorman logout</code>
revokes it.</p>
</main>
</body>
</html>
`;
}

/** Pure: what a refused confirmation says (an ended session, a forged post). */
export function cliRefusedPage(reason: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Doorman: CLI sign-in refused</title></head>
<body><main><h1>CLI sign-in refused</h1><p role="alert">${html(reason)}</p>
<p>Run <code>doorman login</code> again.</p></main></body>
</html>
`;
}
