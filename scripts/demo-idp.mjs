#!/usr/bin/env node
// A local OpenID Connect provider for the demo and the tests: panva's oidc-provider (a
// certified implementation) with a plain sign-in form of its own for a few people with
// passwords. Never for production: keys are generated at each start, everything is in memory.
//
// Configuration is one JSON document in DOORMAN_IDP_CONFIG:
//   { "port": 0, "host": "127.0.0.1",
//     "clients": [{ "client_id": "…", "client_secret": "…", "redirect_uris": ["…"] }],
//     "people": [{ "login": "alice", "password": "…", "email": "…", "emailVerified": true,
//                  "name": "…", "groups": ["…"] }] }
// It prints one line `issuer <url>` on stdout once it listens (port 0: any free port).
import { randomBytes, generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import { URLSearchParams } from 'node:url';
import Provider from 'oidc-provider';

const config = JSON.parse(process.env.DOORMAN_IDP_CONFIG ?? '{}');
const host = config.host ?? '127.0.0.1';
const people = new Map((config.people ?? []).map((p) => [p.login, p]));

const escape = (s) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );

function signInPage(uid, error, loginHint) {
  const who = [...people.values()]
    .map((p) => `<li><code>${escape(p.login)}</code> — ${escape(p.name)}</li>`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in — local identity provider</title>
<style>body{font:16px system-ui,sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem}
label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.5rem;box-sizing:border-box}
button{margin-top:1rem;padding:.6rem 1.2rem}.error{color:#a00}</style></head><body>
<h1>Sign in</h1><p>Doorman's local identity provider (demo and tests only).</p>
${error ? `<p class="error" role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login" autocomplete="off">
<label for="login">Login</label><input id="login" name="login" required autofocus value="${escape(loginHint ?? '')}">
<label for="password">Password</label><input id="password" name="password" type="password" required>
<button type="submit">Sign in</button></form>
<p>People here:</p><ul>${who}</ul></body></html>`;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 10_000) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

async function main() {
  const server = createServer();
  await new Promise((resolve) => server.listen(config.port ?? 0, host, resolve));
  const issuer = `http://${host}:${server.address().port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'demo', use: 'sig', alg: 'RS256' };

  const provider = new Provider(issuer, {
    clients: (config.clients ?? []).map((c) => ({
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      // auth_time in every ID token: Doorman records when the person last authenticated.
      require_auth_time: true,
      ...c,
    })),
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: {
      // How the person signed in goes in every ID token (Doorman records it).
      openid: ['sub', 'acr', 'amr'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups'],
    },
    scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
    acrValues: ['urn:doorman:demo:password'],
    // The claims of the scopes asked for go in the ID token too (not only in userinfo).
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // A first-party client: no consent screen, everything it asks for is granted.
    async loadExistingGrant(ctx) {
      const grantId =
        ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid email profile groups');
      await grant.save();
      return grant;
    },
    async findAccount(_ctx, id) {
      const person = people.get(id);
      if (!person) return undefined;
      return {
        accountId: id,
        async claims() {
          return {
            sub: id,
            email: person.email,
            email_verified: person.emailVerified !== false,
            name: person.name,
            groups: person.groups ?? [],
          };
        },
      };
    },
    ttl: { Session: 3600, Interaction: 600, Grant: 3600, AccessToken: 300, IdToken: 300 },
  });
  provider.on('server_error', (_ctx, err) => process.stderr.write(`idp error: ${err.stack}\n`));
  // Why a token request was refused, for whoever reads the provider's log (no token in it).
  provider.on('grant.error', (_ctx, err) =>
    process.stderr.write(`idp: token request refused: ${err.error_detail ?? err.message}\n`),
  );

  const handle = provider.callback();
  server.on('request', (req, res) => {
    const match = /^\/interaction\/([\w-]+)(\/login)?$/.exec(req.url.split('?')[0]);
    if (!match) return handle(req, res);
    const send = (status, html) => {
      res.writeHead(status, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
      });
      res.end(html);
    };
    (async () => {
      const details = await provider.interactionDetails(req, res);
      if (req.method === 'GET' && !match[2])
        return send(200, signInPage(details.uid, null, details.params.login_hint));
      if (req.method !== 'POST' || !match[2]) return send(405, 'method not allowed');
      const form = await readForm(req);
      const login = form.get('login') ?? '';
      const person = people.get(login);
      if (!person || person.password !== form.get('password'))
        return send(401, signInPage(details.uid, 'Unknown login or wrong password.', login));
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: login, amr: ['pwd'], acr: 'urn:doorman:demo:password' } },
        { mergeWithLastSubmission: false },
      );
    })().catch((err) => {
      process.stderr.write(`idp interaction error: ${err.message}\n`);
      if (!res.headersSent) send(400, `<p>Sign-in failed: ${escape(err.message)}</p>`);
    });
  });
  process.stdout.write(`issuer ${issuer}\n`);
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`idp failed to start: ${err.stack}\n`);
  process.exit(1);
});
