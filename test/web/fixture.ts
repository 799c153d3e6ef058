/**
 * A whole Strata for the browser tests: `startStrata` in-process on free ports (in-memory store, `--demo`
 * profiles, the real engine over the simulator), the console built and served in front of its API, and
 * Chromium. `withEngine: false` leaves the engine out (cluster actions then answer 503, as documented).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningStrata, startStrata } from '../../src/cli/up.ts';
import { startEngine } from '../../src/engine/engine.ts';
import { destroySharedAgents } from '../../src/kube/agents.ts';
import { buildConsole } from './build-console.ts';
import { type ConsoleServer, startConsoleServer } from './console-server.ts';

/** A running Strata with its console. */
export interface ConsoleFixture {
  strata: RunningStrata;
  console: ConsoleServer;
  /** The console's URL (`http://127.0.0.1:<port>/`). */
  url: string;
  /** Calls the REST API as the admin. */
  api<T>(method: string, path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

let built: Promise<string> | null = null;

/** Starts Strata (with the demo profiles) and the console in front of it. */
export async function startConsoleFixture(options: { withEngine: boolean }): Promise<ConsoleFixture> {
  built ??= buildConsole();
  const dist = await built;
  const home = await mkdtemp(join(tmpdir(), 'strata-web-home-'));
  const strata = await startStrata({
    home,
    memory: true,
    port: 0,
    kubePort: 0,
    demo: true,
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
  const consoleServer = await startConsoleServer(dist, strata.apiUrl);
  return {
    strata,
    console: consoleServer,
    url: `${consoleServer.url}/`,
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
      await consoleServer.close();
      await strata.stop();
      destroySharedAgents();
      await rm(home, { recursive: true, force: true });
    },
  };
}
