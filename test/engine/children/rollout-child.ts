/**
 * A Strata process for the rollout kill -9 test: opens the embedded store in the given home, starts the simulated
 * infrastructure and the engine, provisions four clusters on `rk@1.0.0` and starts one rollout to `rk@1.1.0` if
 * none exists (all before printing `READY`, so kills land in the rollout), then waits for the rollout to end,
 * printing `STATE …` whenever its state, wave or healthy count changes, and `DONE <state>` at the end. A restarted process carries on where the killed one stopped.
 * Usage: node --import tsx rollout-child.ts HOME PKI_DIR
 */
import { loadBuiltinCatalog } from '../../../src/catalog/load.ts';
import { isStrataError } from '../../../src/core/errors.ts';
import { validateProfileVersion } from '../../../src/core/profile.ts';
import { startEngine } from '../../../src/engine/engine.ts';
import { destroySharedAgents } from '../../../src/kube/agents.ts';
import { startSimKubeServer } from '../../../src/sim/server.ts';
import { getClusters } from '../../../src/store/clusters.ts';
import { openStore } from '../../../src/store/open.ts';
import { createProfileVersion } from '../../../src/store/profiles.ts';
import { listRollouts } from '../../../src/store/rollouts.ts';
import { StoreSimPersistence } from '../../../src/store/sim-objects.ts';
import { helloProfile } from '../engine-fixture.ts';

/** The clusters the scenario rolls. */
export const ROLLOUT_CLUSTERS = ['rk-1', 'rk-2', 'rk-3', 'rk-4'];

const [home, pkiDir] = process.argv.slice(2);
if (!home || !pkiDir) {
  process.stderr.write('usage: rollout-child.ts HOME PKI_DIR\n');
  process.exit(2);
}
const actor = { actor: 'harness' };

async function ignoreExisting(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    if (!(isStrataError(error) && error.code === 'AlreadyExists')) throw error;
  }
}

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
  timings: { pollMs: 100, resyncMs: 3_600_000, retryBaseMs: 50 },
});
const engine = running.engine;
for (const [version, api] of [
  ['1.0.0', false],
  ['1.1.0', true],
] as const) {
  const { revision: _r, ...pv } = validateProfileVersion(helloProfile(version, api, { name: 'rk' }), catalog);
  await ignoreExisting(() => createProfileVersion(store.db, actor, pv));
}
for (const name of ROLLOUT_CLUSTERS) {
  await ignoreExisting(() => engine.createCluster(actor, { name, profiles: ['rk@1.0.0'], workers: 1 }));
}
let rollout = (await listRollouts(store.db, { limit: 1 })).items[0];
while (!rollout) {
  const clusters = await getClusters(store.db, ROLLOUT_CLUSTERS);
  if (clusters.every((c) => c.status.phase === 'Running' && c.status.observedGeneration === c.generation)) {
    await engine.rollouts.start(actor, {
      from: 'rk@1.0.0',
      to: 'rk@1.1.0',
      canary: 1,
      growth: 4,
      soakSeconds: 1,
    });
  } else await new Promise((r) => setTimeout(r, 50));
  rollout = (await listRollouts(store.db, { limit: 1 })).items[0];
}
process.stdout.write(`READY ${rollout.id} ${rollout.state}\n`);
let lastState = '';
for (;;) {
  const r = await engine.rollouts.get(rollout.id);
  // Progress for the harness, which kills this process at a random one of these moments.
  const state = `${r.state} wave ${r.currentWave} healthy ${r.counts.healthy ?? 0}`;
  if (state !== lastState) process.stdout.write(`STATE ${state}\n`);
  lastState = state;
  if (r.state === 'Completed' || r.state === 'Halted' || r.state === 'Cancelled') {
    process.stdout.write(`DONE ${r.state}\n`);
    break;
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
}
await running.stop();
await sim.stop();
await store.close();
destroySharedAgents();
process.exit(0);
