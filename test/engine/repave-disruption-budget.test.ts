/**
 * A repave drains within PodDisruptionBudgets: through the engine, an OS change replaces every node while the
 * budgeted Deployment keeps at least `minAvailable` Ready pods; a budget that can never be met (minAvailable
 * 100%) stops the repave with the drain's error on the cluster (condition and event naming the budget), evicting
 * none of its pods, until the budget goes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KubeClient } from '../../src/kube/client.ts';
import { podReady } from '../../src/sim/controllers/replicasets.ts';
import type { KubeObject } from '../../src/sim/kube-object.ts';
import type { SimTiming } from '../../src/sim/timing.ts';
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

/**
 * Containers take 200 ms to start, so an eviction's replacement is not Ready at once; a drain gives up after 3 s.
 * (engine-fixture types `simTiming` by its fast defaults but passes every SimTiming field on to the simulator.)
 */
const SIM_TIMING: Partial<SimTiming> = { podStartMs: 200, drainTimeoutMs: 3000 };

const shop = (replicas: number): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'shop', namespace: 'default' },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'shop' } },
    template: {
      metadata: { labels: { app: 'shop' } },
      spec: { containers: [{ name: 'shop', image: 'nginx:1.27' }] },
    },
  },
});

const budget = (minAvailable: number | string): KubeObject => ({
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  metadata: { name: 'shop', namespace: 'default' },
  spec: { minAvailable, selector: { matchLabels: { app: 'shop' } } },
});

describe('a repave drains within PodDisruptionBudgets', () => {
  let fx: EngineFixture;
  before(async () => {
    fx = await startEngineFixture({ simTiming: SIM_TIMING });
    await createProfile(fx, helloProfile('1.0.0', false));
    await createProfile(fx, helloProfile('2.0.0', false, { ubuntu: '24.4.1' }));
  });
  after(async () => {
    await fx?.close();
  });

  /** Creates a Running cluster on 1.0.0 with the shop Deployment and its budget, all pods Ready. */
  async function clusterWithBudget(name: string, replicas: number, minAvailable: number | string) {
    await fx.engine.createCluster(TESTER, { name, profiles: ['hello-universe-aws@1.0.0'], workers: 2 });
    await waitForCluster(fx, name, converged, 'Running');
    const client = KubeClient.fromKubeconfig(await fx.engine.kubeconfig(name, 'admin'));
    await client.apply(shop(replicas));
    await client.apply(budget(minAvailable));
    const sim = await fx.sim.fleet.require(name);
    const shopPods = () =>
      sim.store.list('/pods', 'default').filter((p: KubeObject) => p.metadata.labels?.['app'] === 'shop');
    const readyCount = () => shopPods().filter(podReady).length;
    const end = Date.now() + 20_000;
    while (readyCount() < replicas) {
      assert.ok(Date.now() < end, `${replicas} Ready shop pods in ${name}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return { sim, shopPods, readyCount };
  }

  /** Starts the OS change (a repave) and approves it. */
  async function repave(name: string): Promise<void> {
    const view = await fx.engine.applyChange(TESTER, name, {
      kind: 'profiles',
      profiles: ['hello-universe-aws@2.0.0'],
    });
    assert.equal(view.plan.repave.required, true);
    await waitForCluster(fx, name, (c) => c.status.repave.state === 'Pending', 'repave Pending');
    await fx.engine.approveRepave(TESTER, name);
  }

  it('replaces every node while the budgeted Deployment never drops below minAvailable Ready pods', async () => {
    const { sim, shopPods, readyCount } = await clusterWithBudget('budgeted', 4, 3);
    const nodesBefore = (await fx.sim.infra.listNodes('budgeted')).map((n) => n.name);
    const podsBefore = shopPods().map((p) => p.metadata.name);
    let lowest = readyCount();
    // Every store change is seen: an eviction the budget should have refused would show as 2 Ready.
    const stop = sim.store.subscribe(() => {
      lowest = Math.min(lowest, readyCount());
    });
    try {
      await repave('budgeted');
      await waitForCluster(
        fx,
        'budgeted',
        (c) =>
          converged(c) &&
          c.status.repave.state === 'None' &&
          c.status.appliedProfiles[0]?.version === '2.0.0',
        'repave done',
        60_000,
      );
    } finally {
      stop();
    }
    const nodesAfter = await fx.sim.infra.listNodes('budgeted');
    assert.equal(nodesAfter.length, nodesBefore.length);
    assert.ok(
      nodesAfter.every((n) => n.osImage === 'Ubuntu 24.04.1 LTS' && !nodesBefore.includes(n.name)),
      'every node replaced',
    );
    assert.ok(lowest >= 3, `Ready shop pods fell to ${lowest}, below the budget's minAvailable 3`);
    const podsAfter = shopPods();
    assert.equal(podsAfter.length, 4);
    assert.ok(
      podsAfter.every((p) => !podsBefore.includes(p.metadata.name)),
      'every shop pod was evicted and replaced on a new node',
    );
    const events = await eventsOf(fx, 'budgeted');
    assert.ok(events.some((e) => e.reason === 'RepaveCompleted'));
    assert.deepEqual(
      events.filter((e) => e.reason === 'ReconcileFailed').map((e) => e.message),
      [],
      'no drain gave up',
    );
  });

  it('reports a budget that can never be met on the cluster instead of evicting, and goes on once it is gone', async () => {
    const { shopPods } = await clusterWithBudget('strict', 2, '100%');
    const podsBefore = shopPods()
      .map((p) => p.metadata.name)
      .sort();
    await repave('strict');
    const failing = await waitForCluster(
      fx,
      'strict',
      (c) => c.status.conditions.some((x) => x.type === 'Ready' && x.reason === 'ReconcileError'),
      'the drain error on the cluster',
      30_000,
    );
    const ready = failing.status.conditions.find((c) => c.type === 'Ready')!;
    assert.equal(ready.status, 'False');
    assert.match(
      ready.message,
      /drain of node \S+ gave up after \ds: evicting (a pod|\d pods) would violate PodDisruptionBudget default\/shop \(pod default\/shop-\S+: The disruption budget shop needs 2 healthy pods and has 2 currently/,
    );
    const failed = (await eventsOf(fx, 'strict')).find((e) => e.reason === 'ReconcileFailed');
    assert.equal(failed?.type, 'Warning');
    assert.match(failed?.message ?? '', /would violate PodDisruptionBudget default\/shop/);
    assert.deepEqual(
      shopPods()
        .map((p) => p.metadata.name)
        .sort(),
      podsBefore,
      'no budgeted pod was evicted',
    );
    const drained = /drain of node (\S+) gave up/.exec(ready.message)![1]!;
    const node = (await fx.sim.infra.listNodes('strict')).find((n) => n.name === drained);
    assert.equal(node?.unschedulable, true, 'the node that could not be drained stays cordoned');

    // Without the budget the retried drain evicts, and the repave completes.
    const client = KubeClient.fromKubeconfig(await fx.engine.kubeconfig('strict', 'admin'));
    assert.equal(
      await client.delete({
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        namespace: 'default',
        name: 'shop',
      }),
      true,
    );
    await waitForCluster(
      fx,
      'strict',
      (c) =>
        converged(c) && c.status.repave.state === 'None' && c.status.appliedProfiles[0]?.version === '2.0.0',
      'repave done once the budget is gone',
      90_000,
    );
    assert.ok(shopPods().every((p) => !podsBefore.includes(p.metadata.name)));
  });
});
