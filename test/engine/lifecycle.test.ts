/**
 * Cluster lifecycle through the engine against the simulator: Pending → Provisioning (control plane, then
 * workers) → Running once nodes are Ready and add-ons are applied and available; delete releases everything.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KubeClient } from '../../src/kube/client.ts';
import { listInventory } from '../../src/store/inventory.ts';
import { listNodes } from '../../src/store/node-pools.ts';
import {
  converged,
  createProfile,
  type EngineFixture,
  eventsOf,
  helloProfile,
  startEngineFixture,
  TESTER,
  waitForCluster,
} from './engine-fixture.ts';

describe('cluster lifecycle', () => {
  let fx: EngineFixture;
  before(async () => {
    fx = await startEngineFixture();
    await createProfile(fx, helloProfile('1.0.0', false));
  });
  after(async () => {
    await fx?.close();
  });

  it('provisions a cluster: Pending, Provisioning, then Running with nodes Ready and add-ons applied', async () => {
    const created = await fx.engine.createCluster(TESTER, {
      name: 'life',
      profiles: ['hello-universe-aws@1.0.0'],
      controlPlane: 1,
      workers: 2,
    });
    assert.equal(created.status.phase, 'Pending');
    const running = await waitForCluster(fx, 'life', converged, 'Running');
    assert.equal(running.status.health, 'Healthy');
    assert.deepEqual(running.status.appliedProfiles, [
      { name: 'hello-universe-aws', version: '1.0.0', revision: 1 },
    ]);
    const ready = running.status.conditions.find((c) => c.type === 'Ready');
    assert.equal(ready?.status, 'True');
    assert.equal(running.status.kubernetesVersion, '1.30.10');

    const nodes = await fx.sim.infra.listNodes('life');
    assert.equal(nodes.length, 3);
    assert.ok(
      nodes.every(
        (n) => n.state === 'Ready' && n.osImage === 'Ubuntu 22.04.5 LTS' && n.kubeletVersion === 'v1.30.10',
      ),
    );
    assert.deepEqual(
      (await listNodes(fx.store.db, 'life')).map((n) => n.name).sort(),
      nodes.map((n) => n.name).sort(),
    );

    const reasons = (await eventsOf(fx, 'life')).map((e) => e.reason);
    assert.ok(reasons.indexOf('ClusterProvisioning') < reasons.indexOf('ClusterRunning'));
    // Control-plane nodes are created before workers.
    const created1 = (await eventsOf(fx, 'life'))
      .filter((e) => e.reason === 'NodeCreated')
      .map((e) => String(e.details['pool']));
    assert.deepEqual(created1, ['control-plane', 'workers', 'workers']);

    const inventory = await listInventory(fx.store.db, 'life');
    assert.ok(inventory.some((e) => e.kind === 'Deployment' && e.name === 'hello-universe-deployment'));
    const client = KubeClient.fromKubeconfig(await fx.engine.kubeconfig('life', 'admin'));
    const live = await client.get({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'hello-universe',
      name: 'hello-universe-deployment',
    });
    assert.equal(live?.metadata.labels?.['strata.io/cluster'], 'life');
    assert.equal(live?.metadata.labels?.['strata.io/pack'], 'hello-universe');
    // Objects come back as the API server sent them: plain JSON, timestamps as RFC 3339 strings.
    assert.equal(Object.getPrototypeOf(live), Object.prototype);
    assert.match(String(live?.metadata.creationTimestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const listed = await client.list('apps/v1', 'Deployment', { namespace: 'hello-universe' });
    assert.deepEqual(
      listed.map((d) => [d.apiVersion, d.kind, d.metadata.name]),
      [['apps/v1', 'Deployment', 'hello-universe-deployment']],
    );
    assert.equal(typeof listed[0]?.metadata.creationTimestamp, 'string');
  });

  it('deletes a cluster: Deleting, then Deleted with its infrastructure released', async () => {
    await fx.engine.deleteCluster(TESTER, 'life');
    const deleted = await waitForCluster(fx, 'life', (c) => c.status.phase === 'Deleted', 'Deleted');
    assert.equal(deleted.status.phase, 'Deleted');
    assert.equal(await fx.sim.infra.clusterExists('life'), false);
    assert.deepEqual(await listInventory(fx.store.db, 'life'), []);
    assert.deepEqual(await listNodes(fx.store.db, 'life'), []);
  });
});
