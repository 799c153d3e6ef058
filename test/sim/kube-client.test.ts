/**
 * Strata's Kubernetes client (`src/kube/client.ts`) against a simulated cluster, counting the requests the server
 * receives: built-in kinds need no discovery read, a custom kind's group/version is discovered once however many
 * calls ask for it at the same time, and the built-in table agrees with what the simulated API server serves.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BUILTIN_KINDS, builtinKind } from '../../src/core/objects.ts';
import { destroySharedAgents } from '../../src/kube/agents.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { BUILTIN_RESOURCES } from '../../src/sim/resources.ts';
import { createReadyCluster, type SimFixture, startFixture } from './sim-fixture.ts';

const CLUSTER = 'kube-client';

describe('the Kubernetes client against a simulated cluster', () => {
  let fixture: SimFixture;
  const requests: string[] = [];

  before(async () => {
    fixture = await startFixture({ onRequest: (method, path) => requests.push(`${method} ${path}`) });
    await createReadyCluster(fixture.server, CLUSTER, 1);
  });
  after(async () => {
    destroySharedAgents();
    await fixture.close();
  });

  const discoveryReads = () => requests.filter((r) => /^GET \/clusters\/[^/]+\/apis?(\/[^/]+){0,2}$/.test(r));

  test('a new client applies and lists built-in kinds without reading discovery first', async () => {
    requests.length = 0;
    const client = KubeClient.fromKubeconfig(fixture.server.kubeconfig(CLUSTER, 'admin'));
    await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
    const objects = [
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'settings', namespace: 'shop' },
        data: { a: '1' },
      },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'shop', namespace: 'shop' } },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'shop-reader' },
        rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
      },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'shop' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'nginx' }] },
          },
        },
      },
    ];
    const live = await Promise.all(objects.map((o) => client.apply(o)));
    assert.deepEqual(
      live.map((o) => [o.kind, o.metadata.name]),
      objects.map((o) => [o.kind, o.metadata.name]),
    );
    assert.equal((await client.list('apps/v1', 'Deployment', { namespace: 'shop' })).length, 1);
    assert.equal(
      (await client.get({ apiVersion: 'v1', kind: 'Namespace', namespace: '', name: 'shop' }))?.kind,
      'Namespace',
    );
    assert.deepEqual(discoveryReads(), [], 'no discovery read for built-in kinds');
    assert.equal(requests.length, 7, requests.join('\n'));
    assert.ok(
      requests.some((r) =>
        r.startsWith(
          `PATCH /clusters/${CLUSTER}/apis/rbac.authorization.k8s.io/v1/clusterroles/shop-reader?`,
        ),
      ),
      'a cluster-scoped kind is applied at its cluster-scoped path',
    );
  });

  test('a custom kind is discovered once, however many calls need it at the same time', async () => {
    const client = KubeClient.fromKubeconfig(fixture.server.kubeconfig(CLUSTER, 'admin'));
    await client.apply({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
        scope: 'Namespaced',
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    });
    requests.length = 0;
    const widgets = Array.from({ length: 6 }, (_, i) => ({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: `w${i}`, namespace: 'shop' },
      spec: { size: i },
    }));
    await Promise.all(widgets.map((w) => client.apply(w)));
    assert.deepEqual(discoveryReads(), [`GET /clusters/${CLUSTER}/apis/example.com/v1`]);
    assert.equal((await client.list('example.com/v1', 'Widget', { namespace: 'shop' })).length, 6);
    assert.equal(discoveryReads().length, 1, 'the discovered group/version is cached');
    // A kind nobody serves is still refused by name.
    await assert.rejects(
      client.apply({
        apiVersion: 'example.com/v1',
        kind: 'Gadget',
        metadata: { name: 'g', namespace: 'shop' },
      }),
      /Gadget/,
    );
  });

  test('the built-in table names every kind as the simulated API server serves it', () => {
    let compared = 0;
    for (const served of BUILTIN_RESOURCES) {
      const apiVersion = served.group === '' ? served.version : `${served.group}/${served.version}`;
      const known = builtinKind(apiVersion, served.kind);
      if (!known) continue;
      compared += 1;
      assert.equal(known.plural, served.plural, `${apiVersion} ${served.kind}`);
      assert.equal(known.namespaced, served.namespaced, `${apiVersion} ${served.kind}`);
    }
    assert.ok(compared >= 25, `only ${compared} kinds compared`);
    assert.equal(new Set(BUILTIN_KINDS.map((k) => `${k.apiVersion}/${k.kind}`)).size, BUILTIN_KINDS.length);
  });
});
