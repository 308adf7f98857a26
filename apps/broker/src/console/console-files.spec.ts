import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONSOLE_CSP, consoleHandler } from './console-files';

/** The handler on a real HTTP server, over a build directory written by the test. */
async function serve(dir: string): Promise<{ url: string; server: Server }> {
  const handler = consoleHandler(dir);
  const server = createServer((req, res) =>
    handler(req, res, () => {
      res.statusCode = 418;
      res.end('next');
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('consoleHandler', () => {
  let dir: string;
  let url: string;
  let server: Server;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'doorman-console-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Doorman</title>');
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    writeFileSync(join(dir, 'favicon.svg'), '<svg/>');
    writeFileSync(join(tmpdir(), 'outside-console.txt'), 'secret');
    ({ url, server } = await serve(dir));
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves index.html with the strict policy and never lets it be cached', async () => {
    const res = await fetch(`${url}/console/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).not.toContain('unsafe-inline');
    expect(CONSOLE_CSP).not.toContain('unsafe-eval');
    expect(CONSOLE_CSP).toContain("require-trusted-types-for 'script'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(await res.text()).toContain('<title>Doorman</title>');
  });

  it('answers every page of the app with index.html (a reload of a deep link works)', async () => {
    const res = await fetch(`${url}/console/inbox/123?tab=open`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.text()).toContain('<title>Doorman</title>');
  });

  it('caches hashed assets for a year, other files only after revalidating', async () => {
    const asset = await fetch(`${url}/console/assets/index-abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await asset.text()).toBe('console.log(1)');
    const icon = await fetch(`${url}/console/favicon.svg`);
    expect(icon.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers a missing asset with 404, not with the app', async () => {
    const res = await fetch(`${url}/console/assets/gone-999.js`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('<title>');
  });

  it('never reads outside the build, whatever the path says', async () => {
    for (const path of ['/console/../outside-console.txt', '/console/%2e%2e/outside-console.txt'])
      expect(await (await fetch(`${url}${path}`)).text()).not.toContain('secret');
  });

  it('redirects /console to /console/ and leaves other paths and methods to the next handler', async () => {
    const bare = await fetch(`${url}/console`, { redirect: 'manual' });
    expect(bare.status).toBe(308);
    expect(bare.headers.get('location')).toBe('/console/');
    expect((await fetch(`${url}/api/v1/session`)).status).toBe(418);
    expect((await fetch(`${url}/consoles`)).status).toBe(418);
    expect((await fetch(`${url}/console/`, { method: 'POST' })).status).toBe(418);
  });

  it('says how to build the console when there is none', async () => {
    const empty = await serve(join(dir, 'does-not-exist'));
    try {
      const res = await fetch(`${empty.url}/console/`);
      expect(res.status).toBe(404);
      expect(await res.text()).toContain('npm run build');
    } finally {
      await new Promise((resolve) => empty.server.close(resolve));
    }
  });
});
