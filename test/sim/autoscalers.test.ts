/**
 * The horizontal pod autoscaler without kubectl, on a hand-moved clock: one sync per 15 s, scale-up limited to
 * max(100 %, 4 pods) per sync and capped by maxReplicas, scale-down held back by the 5-minute stabilization
 * window, and a SuccessfulRescale event per change.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from '../../src/core/clock.ts';
import { HPA_SYNC_MS, reconcileAutoscalers } from '../../src/sim/controllers/autoscalers.ts';
import type { KubeObject } from '../../src/sim/kube-object.ts';
import { ClusterObjectStore } from '../../src/sim/object-store.ts';
import { SimCluster } from '../../src/sim/sim-cluster.ts';

const ctx = { timing: { nodeBootMs: 0, podStartMs: 0, podRunMs: 0 } };

function world(clock: ManualClock): SimCluster {
  const store = new ClusterObjectStore('c1');
  const put = (resource: string, obj: KubeObject) => store.put(resource, obj);
  put('/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  put('apps/deployments', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'busy',
      namespace: 'default',
      uid: 'd1',
      annotations: { 'sim.strata.dev/cpu-demand': '800m' },
    },
    spec: { replicas: 1 },
  });
  put('apps/replicasets', {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: 'busy-abc',
      namespace: 'default',
      uid: 'r1',
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: 'busy', uid: 'd1', controller: true },
      ],
    },
  });
  put('/pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'busy-abc-x',
      namespace: 'default',
      uid: 'p1',
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'busy-abc', uid: 'r1', controller: true },
      ],
    },
    spec: {
      nodeName: 'n1',
      containers: [{ name: 'busy', image: 'nginx:1.27', resources: { requests: { cpu: '100m' } } }],
    },
    status: { phase: 'Running' },
  });
  put('autoscaling/horizontalpodautoscalers', {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'busy', namespace: 'default', uid: 'h1' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'busy' },
      minReplicas: 1,
      maxReplicas: 10,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } },
        },
      ],
    },
  });
  return new SimCluster('c1', store, clock);
}

const replicas = (c: SimCluster) =>
  (c.store.get('apps/deployments', 'default', 'busy')!['spec'] as { replicas: number }).replicas;

describe('horizontal pod autoscaler', () => {
  test('scales up at most max(100 %, 4 pods) per 15 s sync, up to maxReplicas', () => {
    const clock = new ManualClock();
    const cluster = world(clock);
    assert.equal(reconcileAutoscalers(cluster, ctx), clock.now() + HPA_SYNC_MS);
    assert.equal(replicas(cluster), 5);
    reconcileAutoscalers(cluster, ctx);
    assert.equal(replicas(cluster), 5, 'no second step within the sync period');
    clock.advance(HPA_SYNC_MS);
    reconcileAutoscalers(cluster, ctx);
    assert.equal(replicas(cluster), 10, 'capped by maxReplicas');
    const events = cluster.store.list('/events').map((e) => e['message']);
    assert.deepEqual(events.sort(), [
      'New size: 10; reason: cpu resource utilization (percentage of request) above target',
      'New size: 5; reason: cpu resource utilization (percentage of request) above target',
    ]);
  });

  test('scales down only when the stabilization window no longer holds a higher recommendation', () => {
    const clock = new ManualClock();
    const cluster = world(clock);
    reconcileAutoscalers(cluster, ctx);
    const deploy = cluster.store.get('apps/deployments', 'default', 'busy')!;
    cluster.store.put('apps/deployments', {
      ...deploy,
      metadata: { ...deploy.metadata, annotations: { 'sim.strata.dev/cpu-demand': '0m' } },
    });
    clock.advance(HPA_SYNC_MS);
    reconcileAutoscalers(cluster, ctx);
    assert.equal(replicas(cluster), 5, 'the first, higher recommendation is within 5 minutes');
    clock.advance(300_000);
    reconcileAutoscalers(cluster, ctx);
    assert.equal(replicas(cluster), 1);
    assert.ok(
      cluster.store
        .list('/events')
        .some(
          (e) =>
            e['message'] ===
            'New size: 1; reason: cpu resource utilization (percentage of request) below target',
        ),
    );
  });
});
