/**
 * The simulator's event recorder without kubectl: a repeat is counted on the stored event, each cluster keeps
 * at most EVENT_LIMIT events and none past the TTL, events are never persisted, and the events.k8s.io view
 * converts the stored core Event both ways.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from '../../src/core/clock.ts';
import {
  EVENT_LIMIT,
  EVENT_RESOURCE,
  EVENT_TTL_MS,
  fromEventsV1,
  pruneEvents,
  recordEvent,
  toEventsV1,
} from '../../src/sim/events.ts';
import type { KubeObject } from '../../src/sim/kube-object.ts';
import { ClusterObjectStore } from '../../src/sim/object-store.ts';
import { SimCluster } from '../../src/sim/sim-cluster.ts';

function clusterWithNamespace(clock: ManualClock): SimCluster {
  const store = new ClusterObjectStore('c1');
  store.put('/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  store.takeDirty();
  return new SimCluster('c1', store, clock);
}

const pod = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', uid: `uid-${name}`, resourceVersion: '1' },
});

const report = (name: string, message = 'Started container web') => ({
  regarding: pod(name),
  type: 'Normal' as const,
  reason: 'Started',
  message,
  component: 'kubelet',
  host: 'node-1',
  fieldPath: 'spec.containers{web}',
});

describe('events', () => {
  test('a repeated event is counted on the stored one, with its series', () => {
    const clock = new ManualClock();
    const cluster = clusterWithNamespace(clock);
    recordEvent(cluster, report('a'));
    clock.advance(5000);
    recordEvent(cluster, report('a'));
    recordEvent(cluster, report('a', 'another message'));
    const events = cluster.store.list(EVENT_RESOURCE, 'default');
    assert.equal(events.length, 2);
    const counted = events.find((e) => e['message'] === 'Started container web')!;
    assert.equal(counted['count'], 2);
    assert.notEqual(counted['firstTimestamp'], counted['lastTimestamp']);
    const v1 = toEventsV1(counted);
    assert.equal(v1.apiVersion, 'events.k8s.io/v1');
    assert.deepEqual((v1['series'] as { count: number }).count, 2);
    assert.equal(v1['deprecatedCount'], 2);
    assert.equal(v1['note'], 'Started container web');
    assert.equal(v1['reportingController'], 'kubelet');
    assert.deepEqual((v1['regarding'] as { fieldPath: string }).fieldPath, 'spec.containers{web}');
    const back = fromEventsV1(v1);
    assert.equal(back['message'], 'Started container web');
    assert.deepEqual(back['involvedObject'], counted['involvedObject']);
  });

  test(`a cluster keeps at most ${EVENT_LIMIT} events, the newest`, () => {
    const clock = new ManualClock();
    const cluster = clusterWithNamespace(clock);
    for (let i = 0; i < EVENT_LIMIT + 50; i += 1) {
      clock.advance(1000);
      recordEvent(cluster, report(`p${i}`));
    }
    const names = cluster.store
      .list(EVENT_RESOURCE)
      .map((e) => (e['involvedObject'] as { name: string }).name);
    assert.equal(names.length, EVENT_LIMIT);
    assert.ok(!names.includes('p0') && !names.includes('p49'));
    assert.ok(names.includes('p50') && names.includes(`p${EVENT_LIMIT + 49}`));
  });

  test('events past the TTL are pruned; events are never persisted', () => {
    const clock = new ManualClock();
    const cluster = clusterWithNamespace(clock);
    recordEvent(cluster, report('old'));
    clock.advance(EVENT_TTL_MS - 1000);
    recordEvent(cluster, report('young'));
    assert.equal(cluster.store.takeDirty().length, 0, 'no event write waits to be persisted');
    clock.advance(2000);
    assert.equal(pruneEvents(cluster), 1);
    assert.deepEqual(
      cluster.store.list(EVENT_RESOURCE).map((e) => (e['involvedObject'] as { name: string }).name),
      ['young'],
    );
  });

  test('an event about an object in a terminating namespace is dropped', () => {
    const clock = new ManualClock();
    const cluster = clusterWithNamespace(clock);
    const ns = cluster.store.get('/namespaces', undefined, 'default')!;
    cluster.store.put('/namespaces', {
      ...ns,
      metadata: { ...ns.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' },
    });
    recordEvent(cluster, report('x'));
    assert.equal(cluster.store.list(EVENT_RESOURCE).length, 0);
  });

  test('an event about an object in a missing namespace is dropped', () => {
    const clock = new ManualClock();
    const cluster = clusterWithNamespace(clock);
    recordEvent(cluster, {
      ...report('x'),
      regarding: { ...pod('x'), metadata: { ...pod('x').metadata, namespace: 'gone' } },
    });
    assert.equal(cluster.store.list(EVENT_RESOURCE).length, 0);
  });
});
