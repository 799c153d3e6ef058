/**
 * Drift: managed objects deleted or changed out of band are reported (condition and event) and, with selfHeal,
 * restored — found by watch, or by the periodic resync when watches are off. Existing clusters: a cluster
 * registered by kubeconfig gets its add-on layers through the same code, reached only through that kubeconfig.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ProfileDocument } from '../../src/core/profile.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { InMemorySimPersistence } from '../../src/sim/persistence.ts';
import { type SimKubeServer, startSimKubeServer } from '../../src/sim/server.ts';
import { listInventory } from '../../src/store/inventory.ts';
import { createReadyCluster } from '../sim/sim-fixture.ts';
import {
  converged,
  createProfile,
  type EngineFixture,
  eventsOf,
  FAST_SIM,
  helloProfile,
  startEngineFixture,
  TESTER,
  waitForCluster,
} from './engine-fixture.ts';

const SERVICE = {
  apiVersion: 'v1',
  kind: 'Service',
  namespace: 'hello-universe',
  name: 'hello-universe-service',
};
const DEPLOYMENT = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  namespace: 'hello-universe',
  name: 'hello-universe-deployment',
};

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function imageOf(deployment: unknown): string | undefined {
  return (
    deployment as { spec?: { template?: { spec?: { containers?: Array<{ image: string }> } } } } | undefined
  )?.spec?.template?.spec?.containers?.[0]?.image;
}

describe('drift, found by watch', () => {
  let fx: EngineFixture;
  let client: KubeClient;
  before(async () => {
    fx = await startEngineFixture();
    await createProfile(fx, helloProfile('1.0.0', false));
    await fx.engine.createCluster(TESTER, {
      name: 'watched',
      profiles: ['hello-universe-aws@1.0.0'],
      workers: 1,
    });
    await fx.engine.createCluster(TESTER, {
      name: 'hands-off',
      profiles: ['hello-universe-aws@1.0.0'],
      workers: 1,
      settings: { selfHeal: false },
    });
    await waitForCluster(fx, 'watched', converged, 'Running');
    await waitForCluster(fx, 'hands-off', converged, 'Running');
    client = KubeClient.fromKubeconfig(await fx.engine.kubeconfig('watched', 'admin'));
  });
  after(async () => {
    await fx?.close();
  });

  it('restores a managed object deleted out of band and says so', async () => {
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await client.delete(SERVICE), true);
    await waitFor(async () => (await client.get(SERVICE)) !== undefined, 'the Service restored');
    await waitFor(
      async () => (await eventsOf(fx, 'watched')).some((e) => e.reason === 'DriftRestored'),
      'DriftRestored event',
    );
    const detected = (await eventsOf(fx, 'watched')).find((e) => e.reason === 'DriftDetected');
    assert.match(
      detected?.message ?? '',
      /Service hello-universe\/hello-universe-service deleted out of band/,
    );
  });

  it('restores a field Strata set that another manager changed', async () => {
    const intruder = KubeClient.fromKubeconfig(await fx.engine.kubeconfig('watched', 'admin'), {
      fieldManager: 'intruder',
    });
    const original = imageOf(await client.get(DEPLOYMENT));
    await intruder.apply({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: DEPLOYMENT.name, namespace: DEPLOYMENT.namespace },
      spec: { template: { spec: { containers: [{ name: 'hello-universe', image: 'example.com/evil:1' }] } } },
    });
    await waitFor(async () => imageOf(await client.get(DEPLOYMENT)) === original, 'the image restored');
  });

  it('with selfHeal off, reports drift as a condition and leaves the object alone', async () => {
    const other = KubeClient.fromKubeconfig(await fx.engine.kubeconfig('hands-off', 'admin'));
    await new Promise((r) => setTimeout(r, 100));
    await other.delete(SERVICE);
    const drifted = await waitForCluster(
      fx,
      'hands-off',
      (c) => c.status.conditions.find((x) => x.type === 'Drifted')?.status === 'True',
      'Drifted',
    );
    assert.match(
      drifted.status.conditions.find((x) => x.type === 'Drifted')!.message,
      /hello-universe-service deleted out of band/,
    );
    assert.equal(await other.get(SERVICE), undefined);
    assert.ok((await eventsOf(fx, 'hands-off')).some((e) => e.reason === 'DriftDetected'));
  });
});

describe('drift, found by the periodic resync', () => {
  let fx: EngineFixture;
  before(async () => {
    fx = await startEngineFixture({
      watchDrift: false,
      timings: { pollMs: 20, resyncMs: 300, retryBaseMs: 50 },
    });
    await createProfile(fx, helloProfile('1.0.0', false));
  });
  after(async () => {
    await fx?.close();
  });

  it('restores a deleted object without any watch', async () => {
    await fx.engine.createCluster(TESTER, {
      name: 'resynced',
      profiles: ['hello-universe-aws@1.0.0'],
      workers: 1,
    });
    await waitForCluster(fx, 'resynced', converged, 'Running');
    const client = KubeClient.fromKubeconfig(await fx.engine.kubeconfig('resynced', 'admin'));
    await client.delete(DEPLOYMENT);
    await waitFor(
      async () => (await client.get(DEPLOYMENT)) !== undefined,
      'the Deployment restored by resync',
    );
    // Many intervals have passed: still one walker for the store, not one walk per interval.
    const walkers = await fx.store.db
      .selectFrom('operations')
      .select('state')
      .where('kind', '=', 'resync-fleet')
      .execute();
    assert.equal(walkers.length, 1);
    assert.ok(['pending', 'running'].includes(walkers[0]!.state), `walker ${walkers[0]!.state}`);
  });
});

describe('existing clusters, reached only through their kubeconfig', () => {
  let fx: EngineFixture;
  let foreign: SimKubeServer;
  let pkiDir: string;
  const ADDONS: ProfileDocument = {
    name: 'edge-apps',
    version: '1.0.0',
    type: 'addon',
    cloudType: 'existing',
    layers: [{ pack: 'hello-universe', version: '1.2.0' }],
  } as ProfileDocument;

  before(async () => {
    fx = await startEngineFixture();
    await createProfile(fx, ADDONS);
    // Another API server Strata has no handle on: only its kubeconfig is given.
    pkiDir = await mkdtemp(join(tmpdir(), 'strata-foreign-'));
    foreign = await startSimKubeServer({
      port: 0,
      pkiDir,
      persistence: new InMemorySimPersistence(),
      timing: FAST_SIM,
    });
    await createReadyCluster(foreign, 'far-away', 1);
  });
  after(async () => {
    await fx?.close();
    await foreign?.stop();
    if (pkiDir) await rm(pkiDir, { recursive: true, force: true });
  });

  it('registers an existing cluster, applies its add-on layers and reports it Running', async () => {
    await fx.engine.createCluster(TESTER, {
      name: 'prod-east',
      profiles: ['edge-apps@1.0.0'],
      kubeconfig: foreign.kubeconfig('far-away', 'admin'),
    });
    const running = await waitForCluster(fx, 'prod-east', converged, 'Running');
    assert.equal(running.spec.cloudType, 'existing');
    assert.deepEqual(running.spec.pools, []);
    assert.equal(
      await fx.sim.infra.clusterExists('prod-east'),
      false,
      'no simulated infrastructure was made',
    );
    const direct = KubeClient.fromKubeconfig(foreign.kubeconfig('far-away', 'admin'));
    const live = await direct.get(DEPLOYMENT);
    assert.equal(live?.metadata.labels?.['strata.io/cluster'], 'prod-east');
    assert.ok((await listInventory(fx.store.db, 'prod-east')).length >= 3);
    const view = await fx.engine.workloads('prod-east');
    assert.ok(view.namespaces.some((n) => n.namespace === 'hello-universe' && n.pods.length === 1));
    assert.match(await fx.engine.kubeconfig('prod-east', 'admin'), /far-away/);
  });

  it('refuses infrastructure profiles on an existing cluster', async () => {
    await createProfile(fx, helloProfile('1.0.0', false));
    await assert.rejects(
      fx.engine.createCluster(TESTER, {
        name: 'prod-west',
        profiles: ['hello-universe-aws@1.0.0'],
        kubeconfig: foreign.kubeconfig('far-away', 'admin'),
      }),
      (e: Error & { code?: string }) => e.code === 'ExistingClusterInfraLayer',
    );
  });

  it('deleting an existing cluster forgets it and leaves the cluster itself running', async () => {
    await fx.engine.deleteCluster(TESTER, 'prod-east');
    await waitForCluster(fx, 'prod-east', (c) => c.status.phase === 'Deleted', 'Deleted');
    assert.ok(await foreign.infra.clusterExists('far-away'));
  });
});
