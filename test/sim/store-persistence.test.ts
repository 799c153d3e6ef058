/**
 * The simulator persisted through Strata's real store (PGlite and PostgreSQL): a restart of the
 * simulated API server keeps every object, its resourceVersion and the pods' container IDs.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { StoreSimPersistence } from '../../src/store/sim-objects.ts';
import { forEachDriver } from '../support/stores.ts';
import { createReadyCluster, startFixture, waitFor } from './sim-fixture.ts';

function clients(kubeconfig: string) {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfig);
  return { core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api) };
}

forEachDriver((_driver, getStore) => {
  it('a restart of the simulator keeps objects, resourceVersions and container IDs in the store', async (t) => {
    const store = getStore(t);
    if (!store) return;
    const first = await startFixture({ persistence: new StoreSimPersistence(store.db) });
    let before: Map<string, string>;
    let rvBefore: number;
    try {
      await createReadyCluster(first.server, 'persisted', 1);
      const { core, apps } = clients(first.server.kubeconfig('persisted', 'admin'));
      await apps.createNamespacedDeployment({
        namespace: 'default',
        body: {
          metadata: { name: 'web' },
          spec: {
            replicas: 2,
            selector: { matchLabels: { app: 'web' } },
            template: {
              metadata: { labels: { app: 'web' } },
              spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
            },
          },
        },
      });
      const running = async () =>
        (await core.listNamespacedPod({ namespace: 'default' })).items.filter(
          (p) => p.status?.phase === 'Running',
        );
      await waitFor(async () => (await running()).length === 2, 'two running pods');
      before = new Map(
        (await running()).map((p) => [p.metadata!.name!, p.status!.containerStatuses![0]!.containerID!]),
      );
      rvBefore = Number((await core.listNamespacedPod({ namespace: 'default' })).metadata?.resourceVersion);
    } finally {
      await first.server.stop();
    }

    const second = await startFixture({
      persistence: new StoreSimPersistence(store.db),
      pkiDir: first.pkiDir,
    });
    try {
      const { core } = clients(second.server.kubeconfig('persisted', 'admin'));
      const pods = (await core.listNamespacedPod({ namespace: 'default' })).items;
      const after = new Map(
        pods.map((p) => [p.metadata!.name!, p.status?.containerStatuses?.[0]?.containerID ?? '']),
      );
      assert.deepEqual(after, before, 'same pods with the same container IDs after the restart');
      const rvAfter = Number(
        (await core.listNamespacedPod({ namespace: 'default' })).metadata?.resourceVersion,
      );
      assert.ok(rvAfter >= rvBefore, `resourceVersion does not go back (${rvBefore} → ${rvAfter})`);
      const nodes = (await core.listNode()).items;
      assert.equal(nodes.length, 2);
      // The controllers have run over the reloaded objects (whose keys the store's jsonb reordered): still the
      // same pods and one ReplicaSet — a restart replaces nothing.
      await new Promise((r) => setTimeout(r, 300));
      const later = (await core.listNamespacedPod({ namespace: 'default' })).items;
      assert.deepEqual(
        new Map(later.map((p) => [p.metadata!.name!, p.status?.containerStatuses?.[0]?.containerID ?? ''])),
        before,
        'the same pods once the controllers ran',
      );
      const { apps } = clients(second.server.kubeconfig('persisted', 'admin'));
      const sets = (await apps.listNamespacedReplicaSet({ namespace: 'default' })).items;
      assert.equal(sets.length, 1, `one ReplicaSet: ${sets.map((r) => r.metadata?.name).join(', ')}`);
    } finally {
      await second.close();
    }
  });
});
