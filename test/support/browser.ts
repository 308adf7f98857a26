import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium (scripts/install-deps.sh installs it); CHROMIUM_PATH overrides. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A page with what went wrong in it: uncaught errors, console errors, CSP refusals. */
export interface WatchedPage {
  page: Page;
  problems: string[];
}

/**
 * A real headless Chromium driven by playwright-core. Each person gets a context of their
 * own (their own cookies: two people signed in side by side), and every page records its
 * script errors and Content-Security-Policy violations so a test can assert there were none.
 */
export class TestBrowser {
  private constructor(private readonly browser: Browser) {}

  static async launch(): Promise<TestBrowser> {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `no Chromium at ${CHROMIUM}: run scripts/install-deps.sh (apt-get install chromium)`,
      );
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Root in a container has no user namespaces for Chromium's sandbox.
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    return new TestBrowser(browser);
  }

  /** A fresh browser profile: no cookies, no storage (at a phone's size, given one). */
  async person(viewport?: { width: number; height: number }): Promise<{
    context: BrowserContext;
    open: (url: string) => Promise<WatchedPage>;
  }> {
    const context = await this.browser.newContext(viewport ? { viewport } : {});
    context.setDefaultTimeout(20_000);
    return {
      context,
      open: async (url) => {
        const page = await context.newPage();
        const problems: string[] = [];
        page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
        page.on('console', (m) => {
          // A 4xx answer is logged by Chromium as a failed resource: the tests assert those themselves.
          if (m.type() === 'error' && !/Failed to load resource/.test(m.text()))
            problems.push(`console: ${m.text()}`);
        });
        await page.goto(url);
        return { page, problems };
      },
    };
  }

  async close(): Promise<void> {
    await this.browser.close();
  }
}

/** Everything the page keeps in web storage: the console keeps nothing there. */
export async function webStorage(page: Page): Promise<string> {
  // Runs in the page; the tests' TypeScript has no DOM types, hence the loose handle.
  return page.evaluate(() => {
    const w = globalThis as any;
    const dump = (s: any): string[] =>
      Array.from({ length: s.length as number }, (_, i) => `${s.key(i)}=${s.getItem(s.key(i))}`);
    return [...dump(w.localStorage), ...dump(w.sessionStorage)].join('\n');
  });
}

/** The cookies a script on the page can read (an httpOnly cookie is not among them). */
export function scriptCookies(page: Page): Promise<string> {
  return page.evaluate(() => String((globalThis as any).document.cookie));
}
