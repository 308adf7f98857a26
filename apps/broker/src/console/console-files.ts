import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';

/** Where the console lives in the broker's URL space. */
export const CONSOLE_PATH = '/console';

/**
 * The console's own policy, stricter than the API's: scripts and styles from the broker only
 * (no inline script or style, no eval), calls to the broker only, never framed, and no HTML
 * written from strings by script (Trusted Types required, none allowed).
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  // No script may write HTML from a string (innerHTML and kin): React never needs to.
  "require-trusted-types-for 'script'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

interface ConsoleFile {
  body: Buffer;
  type: string;
  cache: string;
}

type Next = (err?: unknown) => void;
export type ConsoleHandler = (req: IncomingMessage, res: ServerResponse, next: Next) => void;

/**
 * Serves the built console from `dir`: files read once at start (only those exist, so no path
 * from a URL ever reaches the file system), hashed assets cached for a year, index.html never
 * cached (a deploy is seen at the next load) and answered for every other page of the app, so
 * a reload of /console/inbox works. Anything but GET and HEAD goes on to the next handler.
 */
export function consoleHandler(dir: string): ConsoleHandler {
  const files = readBuild(dir);
  const index = files.get('/index.html');
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const path = (req.url ?? '/').split('?')[0];
    if (path !== CONSOLE_PATH && !path.startsWith(`${CONSOLE_PATH}/`)) return next();
    if (path === CONSOLE_PATH) {
      res.statusCode = 308;
      res.setHeader('location', `${CONSOLE_PATH}/`);
      return res.end();
    }
    res.setHeader('content-security-policy', CONSOLE_CSP);
    res.setHeader('cross-origin-opener-policy', 'same-origin');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('x-frame-options', 'DENY');
    const file = files.get(safeDecode(path.slice(CONSOLE_PATH.length)));
    if (file) return send(req, res, 200, file);
    // A missing asset is a 404 (a stale chunk must not receive HTML); a page is the app.
    if (!index || extname(path) !== '') return send(req, res, 404, notFound(index === undefined));
    return send(req, res, 200, index);
  };
}

function send(req: IncomingMessage, res: ServerResponse, status: number, file: ConsoleFile): void {
  res.statusCode = status;
  res.setHeader('content-type', file.type);
  res.setHeader('cache-control', file.cache);
  res.setHeader('content-length', file.body.length);
  res.end(req.method === 'HEAD' ? undefined : file.body);
}

function notFound(unbuilt: boolean): ConsoleFile {
  const text = unbuilt
    ? 'The console is not built: run `npm run build` (it builds the console into dist/console).\n'
    : 'Not found.\n';
  return { body: Buffer.from(text), type: TYPES['.txt'], cache: 'no-store' };
}

/** Every file under dir, keyed by its URL path ("/index.html", "/assets/index-1a2b.js"). */
function readBuild(dir: string): Map<string, ConsoleFile> {
  const files = new Map<string, ConsoleFile>();
  if (!isDirectory(dir)) return files;
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const full = join(at, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        const url = `/${relative(dir, full).split(sep).join('/')}`;
        files.set(url, {
          body: readFileSync(full),
          type: TYPES[extname(full)] ?? 'application/octet-stream',
          // Vite names every asset by its content's hash: a changed file has a new name.
          cache: url.startsWith('/assets/')
            ? 'public, max-age=31536000, immutable'
            : url === '/index.html'
              ? 'no-store'
              : 'no-cache',
        });
      }
    }
  };
  walk(dir);
  return files;
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
