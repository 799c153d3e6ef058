/**
 * `strata worker`, in the composition root: one more engine process on the shared PostgreSQL. It opens the
 * store, loads the catalog, connects to the simulator `strata up` runs and starts the engine without an API;
 * its changes reach the API process's live views through PostgreSQL notifications.
 */
import { join, resolve } from 'node:path';
import { loadBuiltinCatalog } from '../catalog/load.ts';
import { loadUserPacks } from '../catalog/user-packs.ts';
import { StrataError } from '../core/errors.ts';
import { startEngine } from '../engine/engine.ts';
import { connectRemoteSimulator } from '../sim/remote.ts';
import { notifyLive } from '../store/live-channel.ts';
import { defaultStrataHome, openStore } from '../store/open.ts';

/** Options of `startWorker`; each defaults from the environment. */
export interface WorkerOptions {
  /** Data directory holding the simulator's CA (`$STRATA_HOME`, default `~/.strata`). */
  home?: string;
  /** The simulator (`$STRATA_SIM_URL`, default `https://127.0.0.1:$STRATA_KUBE_PORT`, 7443). */
  simUrl?: string;
  /** Reach simulated infrastructure (false: work only on existing clusters). */
  sim: boolean;
  /** Steps run at once (the engine's default when absent). */
  concurrency?: number;
  /** PostgreSQL URL (default `DATABASE_URL`). */
  databaseUrl?: string;
}

/** A running worker. */
export interface RunningWorker {
  /** The simulator's URL, or null without one. */
  simUrl: string | null;
  /** Finishes the running steps and closes the store. */
  stop(): Promise<void>;
}

/** Starts a worker; on a failure, closes what it opened and rethrows. */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL;
  if (!databaseUrl) {
    throw new StrataError(
      'ValidationFailed',
      'strata worker needs DATABASE_URL: the embedded store belongs to the one `strata up` process; several processes share a PostgreSQL server.',
      { field: 'DATABASE_URL' },
    );
  }
  if (
    options.concurrency !== undefined &&
    !(Number.isInteger(options.concurrency) && options.concurrency > 0)
  ) {
    throw new StrataError('ValidationFailed', '--concurrency must be a positive whole number.', {
      field: 'concurrency',
    });
  }
  const home = resolve(options.home ?? defaultStrataHome());
  const schema = process.env.STRATA_DB_SCHEMA || undefined;
  const store = await openStore({ home, databaseUrl, schema });
  try {
    const catalog = await loadBuiltinCatalog();
    await loadUserPacks(store.db, catalog);
    const simUrl =
      options.simUrl ??
      process.env.STRATA_SIM_URL ??
      `https://127.0.0.1:${process.env.STRATA_KUBE_PORT || 7443}`;
    const sim = options.sim ? await connectRemoteSimulator({ url: simUrl, pkiDir: join(home, 'pki') }) : null;
    const running = startEngine({
      store,
      catalog,
      sim,
      concurrency: options.concurrency,
      // Watches belong to the process that serves the API; the resync finds drift from here too.
      watchDrift: false,
      // The API process relays these to its live views (server-sent events).
      publish: (event) => {
        notifyLive(store, schema, event).catch(() => {});
      },
    });
    return {
      simUrl: sim ? sim.url : null,
      stop: async () => {
        try {
          await running.stop();
        } finally {
          await store.close();
        }
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
