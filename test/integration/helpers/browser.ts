/**
 * Headless Chromium for the integration suite: Debian's /usr/bin/chromium driven by playwright-core
 * (never a browser download), with a fresh profile directory that is removed on close.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * The flags that work on this machine (docs/ws-quirks.md#launching-debians-chromium). LocalNetworkAccessChecks is disabled so
 * that a refusal the page sees can only come from the server. The fresh --user-data-dir is given to
 * playwright as launchPersistentContext's directory: playwright refuses it inside `args`.
 */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-features=LocalNetworkAccessChecks',
];

export interface TestBrowser {
  readonly context: BrowserContext;
  /** The fresh profile directory (passed to Chromium as --user-data-dir). */
  readonly userDataDir: string;
  /** A new tab; closed by close() at the latest. */
  newPage(): Promise<Page>;
  /** Closes every page, the browser, and removes the profile directory. Idempotent. */
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: the integration suite needs Debian's chromium (apt-get install -y chromium)`);
  }
  const userDataDir = await mkdtemp(join(tmpdir(), 'wsgate-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      timeout: 30000,
    });
  } catch (err) {
    await rm(userDataDir, { recursive: true, force: true });
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    context,
    userDataDir,
    newPage: () => context.newPage(),
    close() {
      closing ??= (async () => {
        try {
          await context.close();
        } finally {
          await rm(userDataDir, { recursive: true, force: true });
        }
      })();
      return closing;
    },
  };
}

/**
 * Runs `body` (the text of an async function body, in the page) with `args` as the variable `args`,
 * and resolves with its JSON-serializable result. Page code is kept as text so that the Node-only
 * TypeScript config (no DOM lib) still type-checks the tests.
 */
export async function runInPage<T>(page: Page, body: string, args: unknown = {}): Promise<T> {
  return (await page.evaluate(`(async (args) => {\n${body}\n})(${JSON.stringify(args)})`)) as T;
}

/** Builds the typed client's ES-module build (dist/esm, which pages import), then launches Chromium. */
export async function launchBrowserWithClientBuild(): Promise<TestBrowser> {
  await promisify(execFile)('npm', ['run', 'build:esm'], { cwd: join(__dirname, '..', '..', '..') });
  return launchBrowser();
}
