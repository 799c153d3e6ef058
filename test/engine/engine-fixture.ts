/**
 * An engine for tests: in-memory PGlite store, the built-in catalog, a simulated API server with millisecond
 * timings reached over HTTPS, and the engine's worker polling every few milliseconds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBuiltinCatalog } from '../../src/catalog/load.ts';
import type { Catalog } from '../../src/core/catalog.ts';
import { isStrataError } from '../../src/core/errors.ts';
import type { ProfileDocument } from '../../src/core/profile.ts';
import { validateProfileVersion } from '../../src/core/profile.ts';
import {
  type RunningEngine,
  type StartEngineOptions,
  type StrataEngine,
  startEngine,
} from '../../src/engine/engine.ts';
import { destroySharedAgents } from '../../src/kube/agents.ts';
import type { SimKubeServer } from '../../src/sim/server.ts';
import { startSimKubeServer } from '../../src/sim/server.ts';
import type { AuditContext } from '../../src/store/audit.ts';
import { getCluster, type StoredCluster } from '../../src/store/clusters.ts';
import { type ClusterEvent, listEvents } from '../../src/store/events.ts';
import { openStore, type Store } from '../../src/store/open.ts';
import { createProfileVersion } from '../../src/store/profiles.ts';
import { StoreSimPersistence } from '../../src/store/sim-objects.ts';

/** The audit context tests act as. */
export const TESTER: AuditContext = { actor: 'tester' };

/** Millisecond timings of the simulator for tests. */
export const FAST_SIM = { nodeBootMs: 20, podStartMs: 15, flushDelayMs: 5 };

/** A started engine with its store and simulator. */
export interface EngineFixture {
  store: Store;
  catalog: Catalog;
  sim: SimKubeServer;
  running: RunningEngine;
  engine: StrataEngine;
  close(): Promise<void>;
}

/** Starts store, simulator and engine. */
export async function startEngineFixture(
  options: Partial<StartEngineOptions> & {
    simTiming?: Partial<typeof FAST_SIM>;
    /** Sees every HTTPS request the simulated clusters answer. */
    onSimRequest?: (method: string, path: string) => void;
  } = {},
): Promise<EngineFixture> {
  const { simTiming, onSimRequest, ...engineOptions } = options;
  const store = await openStore({ memory: true });
  const catalog = await loadBuiltinCatalog();
  const pkiDir = await mkdtemp(join(tmpdir(), 'strata-engine-pki-'));
  const sim = await startSimKubeServer({
    port: 0,
    pkiDir,
    persistence: new StoreSimPersistence(store.db),
    timing: { ...FAST_SIM, ...(simTiming ?? {}) },
    ...(onSimRequest ? { onRequest: onSimRequest } : {}),
  });
  const running = startEngine({
    store,
    catalog,
    sim,
    idleMs: 10,
    timings: { pollMs: 20, resyncMs: 3_600_000, retryBaseMs: 50 },
    ...engineOptions,
  });
  return {
    store,
    catalog,
    sim,
    running,
    engine: running.engine,
    async close() {
      await running.stop();
      await sim.stop();
      await store.close();
      destroySharedAgents();
      await rm(pkiDir, { recursive: true, force: true });
    },
  };
}

/** Validates a profile document against the catalog and stores it (revision 1). */
export async function createProfile(
  fx: { store: Store; catalog: Catalog },
  doc: ProfileDocument,
): Promise<void> {
  const pv = validateProfileVersion(doc, fx.catalog);
  const { revision: _r, ...rest } = pv;
  await createProfileVersion(fx.store.db, TESTER, rest);
}

/** The walkthrough's infrastructure layers (ubuntu, Kubernetes 1.30, calico, csi-hostpath). */
export function infraLayers(
  overrides: { ubuntu?: string; kubernetes?: string; cni?: { pack: string; version: string } } = {},
) {
  return [
    { pack: 'ubuntu', version: overrides.ubuntu ?? '22.4.5' },
    { pack: 'kubernetes', version: overrides.kubernetes ?? '1.30.10' },
    overrides.cni ?? { pack: 'calico', version: '3.28.2' },
    { pack: 'csi-hostpath', version: '1.14.1' },
  ];
}

/** Profile `hello-universe-aws` at `version`: the walkthrough's stack, hello-universe with the API preset on or off. */
export function helloProfile(
  version: string,
  api: boolean,
  options: {
    ubuntu?: string;
    kubernetes?: string;
    cloudType?: 'sim' | 'edge';
    name?: string;
    cni?: { pack: string; version: string };
  } = {},
): ProfileDocument {
  return {
    name: options.name ?? 'hello-universe-aws',
    version,
    type: 'full',
    cloudType: options.cloudType ?? 'sim',
    layers: [
      ...infraLayers(options),
      { pack: 'hello-universe', version: '1.2.0', presets: api ? ['enable-api'] : [] },
    ],
  } as ProfileDocument;
}

/** Polls the stored cluster until `check` holds; fails naming `what` and the cluster's state after `timeoutMs`. */
export async function waitForCluster(
  fx: { store: Store },
  name: string,
  check: (c: StoredCluster) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<StoredCluster> {
  const end = Date.now() + timeoutMs;
  let last: StoredCluster | undefined;
  while (Date.now() < end) {
    last = await getCluster(fx.store.db, name);
    if (last && check(last)) return last;
    await new Promise((r) => setTimeout(r, 15));
  }
  const conditions = last?.status.conditions
    .map((c) => `${c.type}=${c.status} (${c.reason}: ${c.message})`)
    .join('\n  ');
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}; phase ${last?.status.phase}, repave ${last?.status.repave.state}\n  ${conditions}`,
  );
}

/** True when a cluster is Running with its latest generation applied. */
export function converged(c: StoredCluster): boolean {
  return c.status.phase === 'Running' && c.status.observedGeneration === c.generation;
}

/** Returns a cluster's events oldest first. */
export async function eventsOf(fx: { store: Store }, name: string): Promise<ClusterEvent[]> {
  return (await listEvents(fx.store.db, name, { limit: 1000 })).reverse();
}

/** Returns the `StrataError` code a refused call failed with; fails the test when the call succeeds. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isStrataError(error)) return error.code;
    throw error;
  }
  throw new Error('expected the call to be refused');
}
