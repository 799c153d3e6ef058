/**
 * A Strata process for the kill -9 harness: opens the embedded store in the given home, starts the simulated
 * infrastructure (objects persisted in that store) and the engine, then drives one scenario — create a cluster,
 * update it (OS change: a repave, auto-approved; add-on change leaving objects unused), prune — each command
 * issued only when the store shows the previous one done, so a restarted process carries on where the killed
 * one stopped. Prints `READY` once running, `STATE …` whenever the cluster's phase, generation or repave state
 * changes, and `DONE` when the scenario is complete, then exits cleanly.
 * Usage: node --import tsx durable-child.ts HOME PKI_DIR
 */
import { loadBuiltinCatalog } from '../../../src/catalog/load.ts';
import { isStrataError } from '../../../src/core/errors.ts';
import type { ProfileDocument } from '../../../src/core/profile.ts';
import { validateProfileVersion } from '../../../src/core/profile.ts';
import { startEngine } from '../../../src/engine/engine.ts';
import { destroySharedAgents } from '../../../src/kube/agents.ts';
import { startSimKubeServer } from '../../../src/sim/server.ts';
import { getCluster } from '../../../src/store/clusters.ts';
import { listInventory } from '../../../src/store/inventory.ts';
import { openStore } from '../../../src/store/open.ts';
import { createProfileVersion } from '../../../src/store/profiles.ts';
import { StoreSimPersistence } from '../../../src/store/sim-objects.ts';

/** The cluster the scenario drives. */
export const DURABLE_CLUSTER = 'durable';

const [home, pkiDir] = process.argv.slice(2);
if (!home || !pkiDir) {
  process.stderr.write('usage: durable-child.ts HOME PKI_DIR\n');
  process.exit(2);
}
const actor = { actor: 'harness' };

function profile(version: string, ubuntu: string, api: boolean): ProfileDocument {
  return {
    name: 'durable-profile',
    version,
    type: 'full',
    cloudType: 'sim',
    layers: [
      { pack: 'ubuntu', version: ubuntu },
      { pack: 'kubernetes', version: '1.30.10' },
      { pack: 'calico', version: '3.28.2' },
      { pack: 'hello-universe', version: '1.2.0', presets: api ? ['enable-api'] : [] },
    ],
  } as ProfileDocument;
}

async function ignoreExisting(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    if (!(isStrataError(error) && error.code === 'AlreadyExists')) throw error;
  }
}

const started = Date.now();
const store = await openStore({ home, databaseUrl: null });
const catalog = await loadBuiltinCatalog();
const sim = await startSimKubeServer({
  port: 0,
  pkiDir,
  persistence: new StoreSimPersistence(store.db),
  timing: { nodeBootMs: 30, podStartMs: 20, flushDelayMs: 5 },
});
const running = startEngine({
  store,
  catalog,
  sim,
  idleMs: 10,
  leaseMs: 1500,
  watchDrift: false,
  timings: { pollMs: 25, resyncMs: 3_600_000, retryBaseMs: 50 },
});
const engine = running.engine;
for (const doc of [profile('1.0.0', '22.4.5', false), profile('2.0.0', '24.4.1', true)]) {
  const { revision: _r, ...pv } = validateProfileVersion(doc, catalog);
  await ignoreExisting(() => createProfileVersion(store.db, actor, pv));
}
process.stdout.write(`READY ${Date.now() - started}ms\n`);

let lastState = '';
for (;;) {
  const c = await getCluster(store.db, DURABLE_CLUSTER);
  // Progress for the harness, which kills this process at a random one of these moments.
  const state = c
    ? `${c.status.phase} gen ${c.status.observedGeneration}/${c.generation} repave ${c.status.repave.state}`
    : 'absent';
  if (state !== lastState) process.stdout.write(`STATE ${state}\n`);
  lastState = state;
  if (!c) {
    await ignoreExisting(() =>
      engine.createCluster(actor, {
        name: DURABLE_CLUSTER,
        profiles: ['durable-profile@1.0.0'],
        controlPlane: 1,
        workers: 2,
        settings: { repave: 'auto-approve' },
      }),
    );
    continue;
  }
  const settled =
    c.status.phase === 'Running' &&
    c.status.observedGeneration === c.generation &&
    c.status.repave.state === 'None';
  if (settled && c.spec.profiles[0]?.version === '1.0.0') {
    await engine.applyChange(actor, DURABLE_CLUSTER, {
      kind: 'profiles',
      profiles: ['durable-profile@2.0.0'],
    });
    continue;
  }
  if (settled && c.status.appliedProfiles[0]?.version === '2.0.0' && !c.status.engine?.['prune']) {
    const unused = (await listInventory(store.db, DURABLE_CLUSTER)).filter((e) => e.unused);
    if (unused.length > 0) {
      await engine.prune(actor, DURABLE_CLUSTER, { dryRun: false, force: true });
      continue;
    }
    // Finished only when no work is left for the cluster (the last reconcile may still be finishing).
    const open = await store.db
      .selectFrom('operations')
      .select('id')
      .where('target', '=', DURABLE_CLUSTER)
      .where('state', 'in', ['pending', 'running'])
      .execute();
    if (open.length === 0) break;
  }
  await new Promise((r) => setTimeout(r, 20));
}
process.stdout.write(`DONE ${Date.now() - started}ms\n`);
await running.stop();
await sim.stop();
await store.close();
destroySharedAgents();
process.exit(0);
