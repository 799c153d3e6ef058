/**
 * `strata up`, in the composition root: opens the store, loads the catalog (built-in + user packs), starts the
 * simulated Kubernetes API, the engine (when one is plugged in) and the REST API, and makes the admin token.
 * `startServer` is what the command runs (with the engine); `startStrata` takes the engine as a factory, so
 * tests start a whole Strata — with an engine of their own or none — on free ports and stop it again.
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { ensureAdminToken } from '../api/admin-token.ts';
import { LiveEventBus, type LiveEventKind } from '../api/event-bus.ts';
import { createApiServer } from '../api/server.ts';
import { loadBuiltinCatalog } from '../catalog/load.ts';
import { loadUserPacks } from '../catalog/user-packs.ts';
import type { Catalog } from '../core/catalog.ts';
import { StrataError } from '../core/errors.ts';
import type { EngineCommands } from '../engine/contract.ts';
import { startEngine } from '../engine/engine.ts';
import { Renderer } from '../render/renderer.ts';
import type { SimObjectPersistence } from '../sim/persistence.ts';
import { type SimKubeServer, startSimKubeServer } from '../sim/server.ts';
import { listenLive } from '../store/live-channel.ts';
import { defaultStrataHome, openStore, type Store } from '../store/open.ts';
import { storeContentSource } from '../store/pack-contents.ts';
import { syncBuiltinPacks } from '../store/packs.ts';
import { getProfileVersion } from '../store/profiles.ts';
import { StoreSimPersistence } from '../store/sim-objects.ts';
import { DEMO_PROFILE, setUpDemo } from './demo.ts';

/** What an engine is started with. */
export interface EngineDeps {
  store: Store;
  catalog: Catalog;
  sim: SimKubeServer;
  events: LiveEventBus;
  home: string;
  /** The renderer the API and the engine share. */
  renderer: Renderer;
  /** Run the engine's passes here (false: commands only, `strata worker` processes work; see `StartOptions.work`). */
  work: boolean;
}

/** A running engine: its commands for the API, and how to stop it. */
export interface RunningEngine {
  commands: EngineCommands;
  stop(): Promise<void>;
}

/**
 * The hook the engine plugs into: `strata up` calls it once the store, catalog and simulator are up. Until the
 * engine exists (`src/engine`), no factory is given and cluster actions answer 503.
 */
export type EngineFactory = (deps: EngineDeps) => Promise<RunningEngine>;

/** Options of `startStrata`; each defaults from the environment as DESIGN section 7 says. */
export interface StartOptions {
  /** `$STRATA_HOME` (default `~/.strata`). */
  home?: string;
  /** API port (`STRATA_PORT`, 7080); 0 picks a free one. */
  port?: number;
  /** Simulated Kubernetes API port (`STRATA_KUBE_PORT`, 7443); 0 picks a free one. */
  kubePort?: number;
  /** API host (default 127.0.0.1). */
  host?: string;
  /** PostgreSQL URL (`DATABASE_URL`); null forces the embedded database. */
  databaseUrl?: string | null;
  /** PostgreSQL schema to live in (`STRATA_DB_SCHEMA`; default: the connection's search path). */
  schema?: string;
  /** Embedded database in memory (tests): no directory, no lock. */
  memory?: boolean;
  /** Create the demo profiles (and cluster, with an engine). */
  demo?: boolean;
  /** Log requests. */
  logger?: boolean;
  /** TLS files (default `STRATA_TLS_CERT` / `STRATA_TLS_KEY`). */
  tls?: { certPath: string; keyPath: string } | null;
  /** The engine to run (see `EngineFactory`); null or absent: none. */
  createEngine?: EngineFactory | null;
  /**
   * Run the engine's passes in this process (default true). False (`strata up --no-work`, PostgreSQL only): this
   * process serves the API, the console and the simulator, and takes commands; `strata worker` processes on the
   * same database do the work, so a rollout's passes never queue the API's requests behind them.
   */
  work?: boolean;
  /** The built web console served at `/` (default `<repo>/dist/web`). */
  webDir?: string;
}

/** A running Strata. */
export interface RunningStrata {
  /** `http://127.0.0.1:<port>` (https with TLS). */
  apiUrl: string;
  /** `https://127.0.0.1:<port>`: each cluster at `/clusters/<name>`. */
  kubeUrl: string;
  home: string;
  adminTokenPath: string;
  adminToken: string;
  store: Store;
  catalog: Catalog;
  events: LiveEventBus;
  engine: EngineCommands | null;
  /** What `--demo` created on this start. */
  demoCreated: string[];
  /** Stops the API, the engine, the simulator and the store, in that order. */
  stop(): Promise<void>;
}

function portFrom(
  value: number | undefined,
  env: string | undefined,
  fallback: number,
  name: string,
): number {
  const port = value ?? (env === undefined || env === '' ? fallback : Number(env));
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new StrataError(
      'ValidationFailed',
      `${name} must be a port number (0–65535); got ${String(env ?? value)}.`,
      { field: name },
    );
  }
  return port;
}

function tlsFiles(option: StartOptions['tls']): { cert: Buffer; key: Buffer } | undefined {
  const files =
    option === undefined
      ? process.env.STRATA_TLS_CERT && process.env.STRATA_TLS_KEY
        ? { certPath: process.env.STRATA_TLS_CERT, keyPath: process.env.STRATA_TLS_KEY }
        : null
      : option;
  if (!files) return undefined;
  try {
    return { cert: readFileSync(files.certPath), key: readFileSync(files.keyPath) };
  } catch (error) {
    throw new StrataError(
      'ValidationFailed',
      `Cannot read the TLS certificate or key: ${(error as Error).message}`,
      {
        field: 'STRATA_TLS_CERT',
      },
    );
  }
}

/**
 * Simulator delays from `STRATA_SIM_BOOT_MS` (demos, end-to-end tests): how long a simulated machine takes to
 * boot; containers then start in at most that long too. Unset: the simulator's defaults (5 s and 2 s).
 */
function simTimingFromEnv(): { nodeBootMs: number; podStartMs: number } | undefined {
  const raw = process.env.STRATA_SIM_BOOT_MS;
  if (raw === undefined || raw === '') return undefined;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 0 || ms > 600_000) {
    throw new StrataError(
      'ValidationFailed',
      `STRATA_SIM_BOOT_MS must be a number of milliseconds (0–600000); got ${raw}.`,
      { field: 'STRATA_SIM_BOOT_MS' },
    );
  }
  return { nodeBootMs: ms, podStartMs: Math.min(ms, 2000) };
}

/** Starts Strata and returns it running; on any failure, stops what was started and rethrows. */
export async function startStrata(options: StartOptions = {}): Promise<RunningStrata> {
  const home = resolve(options.home ?? defaultStrataHome());
  const port = portFrom(options.port, process.env.STRATA_PORT, 7080, 'STRATA_PORT');
  const kubePort = portFrom(options.kubePort, process.env.STRATA_KUBE_PORT, 7443, 'STRATA_KUBE_PORT');
  const host = options.host ?? '127.0.0.1';
  const tls = tlsFiles(options.tls);
  await mkdir(home, { recursive: true });
  const cleanups: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    const schema = options.schema ?? (process.env.STRATA_DB_SCHEMA || undefined);
    const store = await openStore({
      home,
      databaseUrl: options.databaseUrl,
      memory: options.memory,
      schema,
    });
    cleanups.push(() => store.close());
    // Refused before anything else starts: with no worker able to open this store, nothing would ever be done.
    if (options.work === false && store.driver !== 'postgres') {
      throw new StrataError(
        'ValidationFailed',
        'Serving without doing the work (--no-work) needs PostgreSQL (DATABASE_URL): `strata worker` processes do the work there, and no other process can open the embedded store.',
        { field: 'work' },
      );
    }
    const catalog = await loadBuiltinCatalog();
    await syncBuiltinPacks(store.db, { actor: 'system' }, catalog.list());
    await loadUserPacks(store.db, catalog);

    const sim = await startSimKubeServer({
      port: kubePort,
      pkiDir: join(home, 'pki'),
      // The store implements the simulator's port without importing it; this assignment checks that they agree.
      persistence: new StoreSimPersistence(store.db) satisfies SimObjectPersistence,
      timing: simTimingFromEnv(),
    });
    cleanups.push(() => sim.stop());

    const events = new LiveEventBus();
    // Worker processes on the same PostgreSQL tell this one what they changed, for the live views.
    const databaseUrl = options.databaseUrl === undefined ? process.env.DATABASE_URL : options.databaseUrl;
    if (store.driver === 'postgres' && databaseUrl) {
      const listener = await listenLive(databaseUrl, schema, (event) =>
        events.publish({ ...event, kind: event.kind as LiveEventKind }),
      );
      cleanups.push(() => listener.close());
    }
    const renderer = new Renderer({ content: storeContentSource(store.db) });
    cleanups.push(() => renderer.close());
    const engine = options.createEngine
      ? await options.createEngine({
          store,
          catalog,
          sim,
          events,
          home,
          renderer,
          work: options.work !== false,
        })
      : null;
    if (engine) cleanups.push(() => engine.stop());

    const app = createApiServer({
      store,
      catalog,
      engine: engine?.commands ?? null,
      renderer,
      home,
      events,
      logger: options.logger,
      tls,
      webDir: options.webDir,
    });
    cleanups.push(() => app.close());
    await app.listen({ port, host });
    const address = app.server.address() as AddressInfo;
    const admin = await ensureAdminToken(store, home);
    const demoCreated = options.demo ? await setUpDemo(store, catalog, engine?.commands ?? null) : [];
    return {
      apiUrl: `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${address.port}`,
      kubeUrl: sim.url,
      home,
      adminTokenPath: admin.path,
      adminToken: admin.token,
      store,
      catalog,
      events,
      engine: engine?.commands ?? null,
      demoCreated,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The engine `strata up` runs in its own process: it publishes what it changed to the live views. */
export const localEngine: EngineFactory = async ({ store, catalog, sim, events, renderer, work }) => {
  const running = startEngine({
    store,
    catalog,
    sim,
    renderer,
    publish: (event) => events.publish(event),
    worker: work,
  });
  return { commands: running.engine, stop: () => running.stop() };
};

/** A running `strata up`: Strata with its engine, and whether the demo profile is there to suggest. */
export interface RunningServer extends RunningStrata {
  /** The demo profile's 1.0.0 exists (made by `--demo` now or earlier). */
  hasDemoProfile: boolean;
}

/** What `strata up` runs: Strata with the engine in this process. */
export async function startServer(options: Omit<StartOptions, 'createEngine'> = {}): Promise<RunningServer> {
  const strata = await startStrata({ ...options, createEngine: localEngine });
  const hasDemoProfile = (await getProfileVersion(strata.store.db, DEMO_PROFILE, '1.0.0')) !== undefined;
  return { ...strata, hasDemoProfile };
}
