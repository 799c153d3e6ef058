/**
 * Durability under kill -9: a child process runs store + simulator + engine and drives create → update (with a
 * repave) → prune; the harness kills it with SIGKILL at random moments (shortly after one of the first state
 * changes the child reports), restarts it on the same data, and at the end checks that the scenario completed with
 * no step lost or done twice — no duplicate nodes, each node created and deleted exactly once, one record per
 * milestone, the inventory matching what runs.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { STRATA_LABELS } from '../../src/core/render.ts';
import { destroySharedAgents } from '../../src/kube/agents.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { startSimKubeServer } from '../../src/sim/server.ts';
import { getCluster } from '../../src/store/clusters.ts';
import { listEvents } from '../../src/store/events.ts';
import { listInventory } from '../../src/store/inventory.ts';
import { listNodes } from '../../src/store/node-pools.ts';
import { openStore } from '../../src/store/open.ts';
import { StoreSimPersistence } from '../../src/store/sim-objects.ts';
import { runAndKill, startChild } from './kill-harness.ts';

const CHILD = new URL('./children/durable-child.ts', import.meta.url).pathname;
const CLUSTER = 'durable';
const KILLS = Number(process.env.STRATA_DURABILITY_KILLS ?? 8);

describe('durability under kill -9', () => {
  let dir = '';
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('completes create, update with repave and prune across random SIGKILLs, with nothing lost or doubled', async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-durable-'));
    const home = join(dir, 'home');
    const pki = join(dir, 'pki');
    const killedAt: string[] = [];
    for (let trial = 0; trial < KILLS; trial += 1) {
      const result = await runAndKill(CHILD, [home, pki]);
      process.stdout.write(`# trial ${trial}: ${result.when}\n`);
      if (result.output.includes('DONE')) break;
      assert.equal(result.code, null, `the child died by itself:\n${result.output}`);
      killedAt.push(result.when);
    }
    const last = await startChild(CHILD, [home, pki]);
    const final = await Promise.race([
      last.done,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('the scenario did not finish within 60 s')), 60_000),
      ),
    ]);
    assert.equal(final.code, 0, final.output);
    assert.match(final.output, /DONE/);
    assert.ok(killedAt.length >= 1, 'at least one kill landed mid-scenario');

    // Inspect what the processes left behind: the store, and the simulated cluster reloaded from it.
    const store = await openStore({ home, databaseUrl: null });
    const sim = await startSimKubeServer({
      port: 0,
      pkiDir: pki,
      persistence: new StoreSimPersistence(store.db),
    });
    try {
      const cluster = (await getCluster(store.db, CLUSTER))!;
      assert.equal(cluster.status.phase, 'Running');
      assert.equal(cluster.status.observedGeneration, cluster.generation);
      assert.equal(cluster.status.repave.state, 'None');
      assert.deepEqual(
        cluster.status.appliedProfiles.map((p) => p.version),
        ['2.0.0'],
      );

      const ops = await store.db.selectFrom('operations').select(['kind', 'state', 'error']).execute();
      assert.deepEqual(
        ops.filter((o) => o.state !== 'done'),
        [],
        'every operation completed',
      );

      // Nodes: the desired count per pool, all on the new image, the same in the store as in the infrastructure.
      const nodes = await sim.infra.listNodes(CLUSTER);
      assert.deepEqual(nodes.map((n) => n.pool).sort(), ['control-plane', 'workers', 'workers']);
      assert.ok(nodes.every((n) => n.osImage === 'Ubuntu 24.04.1 LTS' && n.state === 'Ready'));
      assert.deepEqual(
        (await listNodes(store.db, CLUSTER)).map((n) => n.name).sort(),
        nodes.map((n) => n.name).sort(),
      );

      // Each node was created once and, if replaced, deleted once; milestones happened once.
      const events = (await listEvents(store.db, CLUSTER, { limit: 1000 })).reverse();
      const created = events.filter((e) => e.reason === 'NodeCreated').map((e) => String(e.details['node']));
      const deleted = events.filter((e) => e.reason === 'NodeDeleted').map((e) => String(e.details['node']));
      assert.equal(new Set(created).size, created.length, `a node was recorded as created twice: ${created}`);
      assert.equal(new Set(deleted).size, deleted.length, `a node was recorded as deleted twice: ${deleted}`);
      assert.equal(created.length, 6, 'three nodes, then three replacements');
      assert.deepEqual(deleted.sort(), created.filter((n) => !nodes.some((x) => x.name === n)).sort());
      for (const reason of [
        'ClusterCreated',
        'ClusterRunning',
        'UpdateRequested',
        'RepaveStarted',
        'RepaveCompleted',
        'UpdateApplied',
        'Pruned',
      ]) {
        assert.equal(events.filter((e) => e.reason === reason).length, 1, `${reason} recorded once`);
      }

      // The inventory matches what runs: every managed object exists, nothing labelled for the cluster is untracked.
      const inventory = await listInventory(store.db, CLUSTER);
      assert.ok(inventory.every((e) => !e.unused));
      const client = KubeClient.fromKubeconfig(sim.kubeconfig(CLUSTER, 'admin'));
      const kinds = new Map(inventory.map((e) => [`${e.apiVersion}/${e.kind}`, e]));
      const live = new Set<string>();
      for (const k of kinds.values()) {
        for (const o of await client.list(k.apiVersion, k.kind, {
          labelSelector: `${STRATA_LABELS.cluster}=${CLUSTER}`,
        })) {
          live.add(`${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
        }
      }
      assert.deepEqual(
        [...live].sort(),
        inventory.map((e) => `${e.apiVersion}/${e.kind}/${e.namespace}/${e.name}`).sort(),
      );
      assert.ok(
        !live.has('apps/v1/Deployment/hello-universe/hello-universe-deployment'),
        'the pruned object is gone',
      );
    } finally {
      await sim.stop();
      await store.close();
      destroySharedAgents();
    }
  });
});
