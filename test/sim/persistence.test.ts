/**
 * Simulated clusters survive a restart through `SimObjectPersistence`: objects, resourceVersions, container IDs and
 * tokens; clusters load on first use, idle ones leave memory and come back on demand, and writes are batched.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { test } from 'node:test';
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { SimClusterWrite } from '../../src/sim/persistence.ts';
import { InMemorySimPersistence } from '../../src/sim/persistence.ts';
import { createReadyCluster, startFixture, waitFor } from './sim-fixture.ts';

/** Counts the batches written, to show that writes are grouped. */
class CountingPersistence extends InMemorySimPersistence {
  batches = 0;
  records = 0;
  override async writeMany(batch: readonly SimClusterWrite[]): Promise<void> {
    this.batches += 1;
    for (const { writes } of batch) this.records += writes.length;
    return super.writeMany(batch);
  }
}

function clients(kubeconfig: string) {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfig);
  return { core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api) };
}

test('a restart keeps objects, resourceVersions, container IDs and tokens; clusters load on demand', async () => {
  const persistence = new CountingPersistence();
  const first = await startFixture({ persistence });
  const pkiDir = first.pkiDir;
  let kubeconfig = '';
  let before: Map<string, string>;
  let lastRv: number;
  try {
    await createReadyCluster(first.server, 'keep');
    kubeconfig = first.server.kubeconfig('keep', 'admin');
    const { core, apps } = clients(kubeconfig);
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
    lastRv = Number((await core.listNamespacedPod({ namespace: 'default' })).metadata?.resourceVersion);
  } finally {
    await first.server.stop();
  }
  assert.ok(
    persistence.batches < persistence.records / 2,
    `writes are batched (${persistence.batches} batches for ${persistence.records} records)`,
  );

  const second = await startFixture({ persistence, pkiDir });
  try {
    assert.equal(second.server.fleet.stats().loadedClusters, 0, 'nothing is loaded before it is used');
    // Port 0 picks a new port; the CA and the token stay the same.
    const sameButPort = (k: string) => k.replace(/127\.0\.0\.1:\d+/, 'HOST');
    assert.equal(
      sameButPort(second.server.kubeconfig('keep', 'admin')),
      sameButPort(kubeconfig),
      'the same CA and token after a restart',
    );
    const { core } = clients(second.server.kubeconfig('keep', 'admin'));
    const pods = (await core.listNamespacedPod({ namespace: 'default' })).items;
    assert.deepEqual(
      new Map(pods.map((p) => [p.metadata!.name!, p.status!.containerStatuses![0]!.containerID!])),
      before,
    );
    assert.equal(second.server.fleet.stats().loadedClusters, 1);
    const cm = await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'after-restart' } },
    });
    assert.ok(Number(cm.metadata?.resourceVersion) > lastRv, 'resourceVersions keep growing across restarts');

    // An idle cluster leaves memory and comes back on the next request.
    await second.server.fleet.flush();
    const evicted = second.server.fleet.evictIdle(Date.now() + 3_600_000);
    assert.equal(evicted, 1);
    assert.equal(second.server.fleet.stats().loadedClusters, 0);
    const again = await core.readNamespacedConfigMap({ name: 'after-restart', namespace: 'default' });
    assert.equal(again.metadata?.uid, cm.metadata?.uid);
    assert.equal(second.server.fleet.stats().loads, 2);
  } finally {
    await second.server.stop();
    await rm(pkiDir, { recursive: true, force: true });
  }
});

test('a deleted cluster is gone from memory and persistence, and its API answers 404', async () => {
  const fixture = await startFixture();
  try {
    await fixture.server.infra.createCluster('short-lived');
    const { core } = clients(fixture.server.kubeconfig('short-lived', 'admin'));
    assert.ok((await core.listNamespace()).items.length >= 4);
    await fixture.server.infra.deleteCluster('short-lived');
    assert.deepEqual(await fixture.persistence.listClusters(), []);
    await assert.rejects(core.listNamespace(), (e: { code?: number }) => e.code === 404);
  } finally {
    await fixture.close();
  }
});
