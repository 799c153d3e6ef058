/**
 * A whole Strata for the browser tests: `startStrata` in-process on free ports (in-memory store, `--demo`
 * profiles, the real engine over the simulator) serving a freshly built console at `/` on its API port, as
 * `strata up` does. `withEngine: false` leaves the engine out (cluster actions then answer 503, as documented).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startEngine } from '../../src/engine/engine.ts';
import { destroySharedAgents } from '../../src/kube/agents.ts';
import { type RunningStrata, startStrata } from '../../src/main/up.ts';
import { buildConsole } from './build-console.ts';

/** A running Strata with its console. */
export interface ConsoleFixture {
  strata: RunningStrata;
  /** The console's URL (`http://127.0.0.1:<port>/`). */
  url: string;
  /** Calls the REST API as the admin. */
  api<T>(method: string, path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

let built: Promise<string> | null = null;

/** Starts Strata (with the demo profiles) serving the console. */
export async function startConsoleFixture(options: {
  withEngine: boolean;
  /** PostgreSQL (in `schema`) instead of the in-memory embedded store. */
  postgres?: { databaseUrl: string; schema: string };
}): Promise<ConsoleFixture> {
  built ??= buildConsole();
  const dist = await built;
  const home = await mkdtemp(join(tmpdir(), 'strata-web-home-'));
  const strata = await startStrata({
    home,
    ...(options.postgres
      ? { databaseUrl: options.postgres.databaseUrl, schema: options.postgres.schema }
      : { memory: true }),
    port: 0,
    kubePort: 0,
    demo: true,
    webDir: dist,
    createEngine: options.withEngine
      ? async ({ store, catalog, sim, events }) => {
          const running = startEngine({
            store,
            catalog,
            sim,
            idleMs: 20,
            timings: { pollMs: 100, resyncMs: 3_600_000, retryBaseMs: 100 },
            publish: (event) => events.publish(event),
            onError: () => {},
          });
          return { commands: running.engine, stop: () => running.stop() };
        }
      : null,
  });
  return {
    strata,
    url: `${strata.apiUrl}/`,
    async api<T>(method: string, path: string, body?: unknown): Promise<T> {
      const response = await fetch(`${strata.apiUrl}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${strata.adminToken}`,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
      return (text ? JSON.parse(text) : undefined) as T;
    },
    async close() {
      await strata.stop();
      destroySharedAgents();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** Signs in on the console at `url` with `token` and waits for the clusters page. */
export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(url);
  const signOut = page.getByRole('button', { name: 'Sign out' });
  if (await signOut.isVisible()) await signOut.click();
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Clusters' }).waitFor();
}
