/**
 * What an add-on change costs each cluster's API server, counted at the simulated API (every request goes over
 * HTTPS, as to a real cluster): a change that touches one object is one apply and then a read of the health kinds
 * until available — not a list of every managed kind per pass. And what the shortcut must not lose: an object
 * deleted out of band right after the apply is still found (by the drift watch) and restored.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KubeClient } from '../../src/kube/client.ts';
import { getCluster } from '../../src/store/clusters.ts';
import {
  converged,
  createProfile,
  type EngineFixture,
  helloProfile,
  startEngineFixture,
  TESTER,
  waitForCluster,
} from './engine-fixture.ts';

describe('the cost of an add-on change per cluster', () => {
  let fx: EngineFixture;
  const requests: string[] = [];
  let counting = false;
  let lastRequestAt = 0;
  before(async () => {
    fx = await startEngineFixture({
      onSimRequest: (method, path) => {
        if (!path.startsWith('/clusters/cheap/')) return;
        lastRequestAt = Date.now();
        if (counting) requests.push(`${method} ${path.split('?')[0]}`);
      },
    });
    await createProfile(fx, helloProfile('1.0.0', false));
    await fx.engine.createCluster(TESTER, {
      name: 'cheap',
      profiles: ['hello-universe-aws@1.0.0'],
      workers: 1,
    });
    await waitForCluster(fx, 'cheap', converged, 'Running');
    // Let the drift watches start and the full drift check each start asks for happen before counting: wait
    // until the cluster's API server has been quiet for a second (on a loaded machine a watch can start late,
    // and the full check it asks for would land inside the count).
    const quietBy = Date.now() + 20_000;
    while (Date.now() - lastRequestAt < 1_000) {
      assert.ok(Date.now() < quietBy, 'the cluster went quiet after provisioning');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
  after(async () => {
    await fx?.close();
  });

  it('a change of one object costs at most 3 requests: the apply, then health reads', async () => {
    counting = true;
    const before = await getCluster(fx.store.db, 'cheap');
    await fx.engine.applyChange(TESTER, 'cheap', {
      kind: 'override',
      pack: 'hello-universe',
      values: 'helloUniverse:\n  ui:\n    replicas: 2\n',
    });
    await waitForCluster(
      fx,
      'cheap',
      (c) => converged(c) && c.generation > before!.generation,
      'the change applied',
    );
    counting = false;
    const applies = requests.filter((r) => r.startsWith('PATCH'));
    assert.equal(applies.length, 1, `one object applied: ${requests.join(', ')}`);
    assert.ok(requests.length <= 3, `${requests.length} requests: ${requests.join(', ')}`);
    assert.ok(
      requests
        .filter((r) => r.startsWith('GET'))
        .every((r) => r.endsWith('/deployments/hello-universe-deployment')),
      `only the changed workload is read while settling: ${requests.join(', ')}`,
    );
  });

  it('still finds and restores an object deleted out of band right after an apply', async () => {
    const client = KubeClient.fromKubeconfig(await fx.engine.kubeconfig('cheap', 'admin'));
    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      namespace: 'hello-universe',
      name: 'hello-universe-service',
    };
    await fx.engine.applyChange(TESTER, 'cheap', {
      kind: 'override',
      pack: 'hello-universe',
      values: 'helloUniverse:\n  ui:\n    replicas: 3\n',
    });
    // As soon as the new replica count is applied, delete another object behind Strata's back.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const d = await client.get({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: 'hello-universe',
        name: 'hello-universe-deployment',
      });
      if ((d?.spec as { replicas?: number } | undefined)?.replicas === 3) break;
      assert.ok(Date.now() < deadline, 'the change was applied');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(await client.delete(service), true);
    const restoreBy = Date.now() + 20_000;
    while ((await client.get(service)) === undefined) {
      assert.ok(Date.now() < restoreBy, 'the deleted Service came back within 20 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
});
