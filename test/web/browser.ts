/**
 * The browser of the console tests: Debian's Chromium driven by playwright-core, headless, sandbox off (the
 * tests run as root in CI), in a fresh profile directory per run. Screenshots go to `test-artifacts/web/`.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** Where Debian installs Chromium. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Where screenshots are saved (gitignored). */
export const ARTIFACTS_DIR = join(import.meta.dirname, '..', '..', 'test-artifacts', 'web');

/** Returns null when Chromium can run here, else why not (for `requireOrSkip`). */
export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM_PATH) ? null : `${CHROMIUM_PATH} is not installed (apt-get install chromium)`;
}

/** A launched browser with one page. */
export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  /** Saves a full-page screenshot as `test-artifacts/web/<name>.png`; returns its path. */
  screenshot(name: string, page?: Page): Promise<string>;
  close(): Promise<void>;
}

/** Launches Chromium with a fresh profile and a 1440×900 viewport. */
export async function launchBrowser(): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'strata-chromium-'));
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    viewport: { width: 1440, height: 900 },
    acceptDownloads: true,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async screenshot(name, target = page) {
      const path = join(ARTIFACTS_DIR, `${name}.png`);
      await target.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * The few DOM shapes the tests read inside the page. Test files are type-checked without the DOM library, and
 * the console's Content-Security-Policy forbids `eval` — which Playwright's `waitForFunction` needs — so in-page
 * checks are `page.evaluate` functions that poll on animation frames themselves and reach the document as
 * `(globalThis as unknown as InPage).document`.
 */
export interface InPage {
  document: {
    querySelector(selector: string): InPageElement | null;
    querySelectorAll(selector: string): ArrayLike<InPageElement>;
    activeElement: InPageElement | null;
  };
  performance: { now(): number };
  requestAnimationFrame(callback: () => void): number;
  localStorage: { getItem(key: string): string | null };
  fetch(url: string, init: unknown): Promise<{ status: number; json(): Promise<unknown> }>;
}

/** An element as the in-page checks read it. */
export interface InPageElement {
  textContent: string | null;
  disabled?: boolean;
  getAttribute(name: string): string | null;
}
