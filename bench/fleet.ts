/**
 * The Strata the engine and rollout benchmarks drive: a store (given), the built-in catalog with the
 * walkthrough's profile (hello-universe-aws 1.0.0 without, 1.1.0 with the API preset), the simulator over HTTPS
 * with every cluster kept loaded (in this process, or in another one), and the engine without drift watches. `stop()` undoes it all, dropping the
 * PostgreSQL schema when one is named.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBuiltinCatalog } from '../src/catalog/load.ts';
import { setUpDemo } from '../src/cli/demo.ts';
import type { Catalog } from '../src/core/catalog.ts';
import type { EngineTimings } from '../src/engine/context.ts';
import { type RunningEngine, startEngine } from '../src/engine/engine.ts';
import type { SimulatorAccess } from '../src/engine/infrastructure.ts';
import { destroySharedAgents } from '../src/kube/agents.ts';
import { type SimKubeServer, startSimKubeServer } from '../src/sim/server.ts';
import type { Store } from '../src/store/open.ts';
import { StoreSimPersistence } from '../src/store/sim-objects.ts';

const errorCounts = new Map<string, number>();
/** Engine errors: dropped, unless `STRATA_BENCH_VERBOSE` is set — then counted by message and printed now and then. */
export function benchErrorSink(error: unknown): void {
  if (!process.env.STRATA_BENCH_VERBOSE) return;
  const key = String(error instanceof Error ? error.message : error)
    .replace(/[0-9a-f]{8,}|\d+/g, '#')
    .slice(0, 160);
  const n = (errorCounts.get(key) ?? 0) + 1;
  errorCounts.set(key, n);
  if ((n & (n - 1)) === 0) process.stderr.write(`\n  engine error ×${n}: ${key}\n`);
}

export interface BenchStrata {
  catalog: Catalog;
  /** The simulator's HTTPS address. */
  sim: { url: string };
  running: RunningEngine;
  pkiDir: string;
  stop(): Promise<void>;
}

/** A simulator in another process, reached over HTTPS like any infrastructure. */
export interface SimProcess {
  access: SimulatorAccess & { url: string };
  stop(): Promise<void>;
}

/** The simulator as the benchmarks run it: every cluster kept loaded, quick boots. */
export function startBenchSim(store: Store, pkiDir: string, fleet: number): Promise<SimKubeServer> {
  return startSimKubeServer({
    port: 0,
    pkiDir,
    persistence: new StoreSimPersistence(store.db),
    timing: { nodeBootMs: 20, podStartMs: 15, flushDelayMs: 20 },
    maxLoadedClusters: fleet + 10,
  });
}

/** Starts catalog, simulator and engine on `store` for a fleet of `fleet` clusters. */
export async function startBenchStrata(
  store: Store,
  options: {
    fleet: number;
    timings: EngineTimings;
    schema?: string;
    /** Starts the simulator in another process instead of this one (PostgreSQL only). */
    simProcess?: (pkiDir: string) => Promise<SimProcess>;
  },
): Promise<BenchStrata> {
  const catalog = await loadBuiltinCatalog();
  const pkiDir = await mkdtemp(join(tmpdir(), 'strata-bench-pki-'));
  const remote = options.simProcess ? await options.simProcess(pkiDir) : null;
  const sim = remote ? remote.access : await startBenchSim(store, pkiDir, options.fleet);
  const running = startEngine({
    store,
    catalog,
    sim,
    watchDrift: false,
    timings: options.timings,
    onError: benchErrorSink,
  });
  const stop = async () => {
    await running.stop();
    await (remote ?? (sim as SimKubeServer)).stop();
    if (options.schema) await store.db.schema.dropSchema(options.schema).ifExists().cascade().execute();
    await store.close();
    destroySharedAgents();
    await rm(pkiDir, { recursive: true, force: true });
  };
  try {
    await setUpDemo(store, catalog, null);
  } catch (error) {
    await stop();
    throw error;
  }
  return { catalog, sim, running, pkiDir, stop };
}
