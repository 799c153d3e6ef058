/**
 * The simulated API through `@kubernetes/client-node` (1.x): typed clients, server-side apply with
 * KubernetesObjectApi, watches, conflicts as Status objects, custom resources, and pods moving off a removed node.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type ApiException,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from '@kubernetes/client-node';
import type { SimFixture } from './sim-fixture.ts';
import { createReadyCluster, startFixture, waitFor } from './sim-fixture.ts';

const CLUSTER = 'client-node';

function deployment(name: string, replicas: number, image = 'nginx:1.27') {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'apps' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image }] } },
    },
  };
}

async function statusOf(promise: Promise<unknown>): Promise<{ code: number; reason: string }> {
  try {
    await promise;
  } catch (e) {
    const err = e as ApiException<string>;
    const body = JSON.parse(typeof err.body === 'string' ? err.body : JSON.stringify(err.body)) as {
      reason: string;
    };
    return { code: err.code, reason: body.reason };
  }
  throw new Error('the request succeeded but was expected to fail');
}

describe('@kubernetes/client-node against a simulated cluster', () => {
  let fixture: SimFixture;
  let kc: KubeConfig;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let objects: KubernetesObjectApi;

  before(async () => {
    fixture = await startFixture();
    await createReadyCluster(fixture.server, CLUSTER, 3);
    kc = new KubeConfig();
    kc.loadFromString(fixture.server.kubeconfig(CLUSTER, 'admin'));
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    objects = KubernetesObjectApi.makeApiClient(kc);
    await core.createNamespace({ body: { metadata: { name: 'apps' } } });
  });

  after(async () => {
    await fixture.close();
  });

  const runningPods = async (app: string) =>
    (await core.listNamespacedPod({ namespace: 'apps', labelSelector: `app=${app}` })).items.filter(
      (p) => p.status?.phase === 'Running',
    );

  test('lists nodes with kubelet version, OS image and containerd runtime', async () => {
    const nodes = await core.listNode();
    assert.equal(nodes.items.length, 4);
    for (const n of nodes.items) {
      assert.equal(n.status?.nodeInfo?.kubeletVersion, 'v1.33.2');
      assert.match(n.status?.nodeInfo?.containerRuntimeVersion ?? '', /^containerd:\/\//);
      assert.ok(n.status?.addresses?.some((a) => a.type === 'InternalIP'));
    }
  });

  test('runs a deployment: pods get containerd IDs; scaling to zero removes them', async () => {
    await apps.createNamespacedDeployment({ namespace: 'apps', body: deployment('web', 2) });
    await waitFor(async () => (await runningPods('web')).length === 2, 'two running pods');
    for (const p of await runningPods('web')) {
      assert.match(p.metadata?.name ?? '', /^web-[a-z0-9]+-[a-z0-9]{5}$/);
      assert.match(p.status?.containerStatuses?.[0]?.containerID ?? '', /^containerd:\/\/[0-9a-f]{64}$/);
    }
    await apps.patchNamespacedDeploymentScale(
      { name: 'web', namespace: 'apps', body: { spec: { replicas: 0 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await waitFor(
      async () =>
        (await core.listNamespacedPod({ namespace: 'apps', labelSelector: 'app=web' })).items.length === 0,
      'pods gone',
    );
    const d = await apps.readNamespacedDeployment({ name: 'web', namespace: 'apps' });
    assert.equal(d.spec?.replicas, 0);
  });

  test('server-side apply creates, then updates with managedFields and conflicts between managers', async () => {
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: 'apps' },
      data: { color: 'blue', size: 'L' },
    };
    await objects.patch(cm, undefined, undefined, 'strata', true, PatchStrategy.ServerSideApply);
    const live = await core.readNamespacedConfigMap({ name: 'settings', namespace: 'apps' });
    assert.deepEqual(live.data, { color: 'blue', size: 'L' });
    assert.equal(live.metadata?.managedFields?.[0]?.manager, 'strata');
    assert.equal(live.metadata?.managedFields?.[0]?.operation, 'Apply');

    // A field dropped from the applied configuration is removed.
    await objects.patch(
      { ...cm, data: { color: 'blue' } },
      undefined,
      undefined,
      'strata',
      false,
      PatchStrategy.ServerSideApply,
    );
    assert.deepEqual((await core.readNamespacedConfigMap({ name: 'settings', namespace: 'apps' })).data, {
      color: 'blue',
    });

    const conflicting = { ...cm, data: { color: 'red' } };
    const refused = await statusOf(
      objects.patch(conflicting, undefined, undefined, 'other', false, PatchStrategy.ServerSideApply),
    );
    assert.deepEqual(refused, { code: 409, reason: 'Conflict' });
    await objects.patch(conflicting, undefined, undefined, 'other', true, PatchStrategy.ServerSideApply);
    const forced = await core.readNamespacedConfigMap({ name: 'settings', namespace: 'apps' });
    assert.equal(forced.data?.['color'], 'red');
    assert.deepEqual(
      forced.metadata?.managedFields?.map((m) => m.manager).sort(),
      ['other'],
      'the forced manager took the only field',
    );
  });

  test('an update with a stale resourceVersion is refused with 409 Conflict', async () => {
    const cm = await core.createNamespacedConfigMap({
      namespace: 'apps',
      body: { metadata: { name: 'rv' }, data: { a: '1' } },
    });
    await core.replaceNamespacedConfigMap({
      name: 'rv',
      namespace: 'apps',
      body: { ...cm, data: { a: '2' } },
    });
    assert.deepEqual(
      await statusOf(
        core.replaceNamespacedConfigMap({ name: 'rv', namespace: 'apps', body: { ...cm, data: { a: '3' } } }),
      ),
      {
        code: 409,
        reason: 'Conflict',
      },
    );
    assert.deepEqual(await statusOf(core.readNamespacedConfigMap({ name: 'missing', namespace: 'apps' })), {
      code: 404,
      reason: 'NotFound',
    });
    assert.deepEqual(
      await statusOf(
        core.createNamespacedConfigMap({ namespace: 'apps', body: { metadata: { name: 'rv' } } }),
      ),
      {
        code: 409,
        reason: 'AlreadyExists',
      },
    );
  });

  test('strategic merge and JSON patches change one container and keep the others', async () => {
    const two = deployment('multi', 1);
    two.spec.template.spec.containers.push({ name: 'sidecar', image: 'busybox:1.36' });
    await apps.createNamespacedDeployment({ namespace: 'apps', body: two });
    await apps.patchNamespacedDeployment(
      {
        name: 'multi',
        namespace: 'apps',
        body: { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.28' }] } } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    let d = await apps.readNamespacedDeployment({ name: 'multi', namespace: 'apps' });
    assert.deepEqual(
      d.spec?.template.spec?.containers.map((c) => `${c.name}=${c.image}`),
      ['web=nginx:1.28', 'sidecar=busybox:1.36'],
    );
    await apps.patchNamespacedDeployment(
      { name: 'multi', namespace: 'apps', body: [{ op: 'replace', path: '/spec/replicas', value: 2 }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    d = await apps.readNamespacedDeployment({ name: 'multi', namespace: 'apps' });
    assert.equal(d.spec?.replicas, 2);
    assert.equal(d.metadata?.generation, 3);
  });

  test('a watch receives ADDED, MODIFIED and DELETED events', async () => {
    const seen: string[] = [];
    const watch = new Watch(kc);
    const controller = await watch.watch(
      `/api/v1/namespaces/apps/configmaps`,
      { fieldSelector: 'metadata.name=watched' },
      (type, obj: { metadata: { name: string } }) => seen.push(`${type} ${obj.metadata.name}`),
      () => undefined,
    );
    try {
      await core.createNamespacedConfigMap({
        namespace: 'apps',
        body: { metadata: { name: 'watched' }, data: { a: '1' } },
      });
      await core.patchNamespacedConfigMap(
        { name: 'watched', namespace: 'apps', body: { data: { a: '2' } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await core.deleteNamespacedConfigMap({ name: 'watched', namespace: 'apps' });
      await waitFor(() => seen.length >= 3, 'three watch events');
      assert.deepEqual(seen, ['ADDED watched', 'MODIFIED watched', 'DELETED watched']);
    } finally {
      controller.abort();
    }
  });

  test('a custom resource can be created once its CRD exists', async () => {
    const widget = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w1', namespace: 'apps' },
      spec: { size: 3 },
    };
    assert.equal((await statusOf(objects.create(widget))).code, 404);
    await objects.create({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wd'] },
        versions: [
          { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } },
        ],
      },
    });
    await objects.create(widget);
    const list = await objects.list('example.com/v1', 'Widget', 'apps');
    assert.deepEqual(
      list.items.map((i) => i.metadata?.name),
      ['w1'],
    );
  });

  test('the read-only token may list but not create', async () => {
    const ro = new KubeConfig();
    ro.loadFromString(fixture.server.kubeconfig(CLUSTER, 'read-only'));
    const roCore = ro.makeApiClient(CoreV1Api);
    assert.ok((await roCore.listNamespace()).items.length >= 5);
    assert.deepEqual(await statusOf(roCore.createNamespace({ body: { metadata: { name: 'nope' } } })), {
      code: 403,
      reason: 'Forbidden',
    });
  });

  test('pods of a removed node reappear on other nodes with new container IDs; others keep theirs', async () => {
    await apps.createNamespacedDeployment({ namespace: 'apps', body: deployment('spread', 3) });
    await waitFor(async () => (await runningPods('spread')).length === 3, 'three running pods');
    const before = await runningPods('spread');
    const victimNode = before[0]!.spec!.nodeName!;
    const idsBefore = new Map(
      before.map((p) => [p.metadata!.name!, p.status!.containerStatuses![0]!.containerID!]),
    );
    await fixture.server.infra.deleteNode(CLUSTER, victimNode);
    await waitFor(async () => {
      const pods = await runningPods('spread');
      return pods.length === 3 && pods.every((p) => p.spec?.nodeName !== victimNode);
    }, 'pods rescheduled off the removed node');
    const afterPods = await runningPods('spread');
    for (const p of afterPods) {
      const old = idsBefore.get(p.metadata!.name!);
      const id = p.status!.containerStatuses![0]!.containerID!;
      if (old) assert.equal(id, old, `pod ${p.metadata!.name} on an untouched node keeps its container ID`);
      else assert.ok(![...idsBefore.values()].includes(id), 'a recreated pod has a new container ID');
    }
    assert.ok(!(await core.listNode()).items.some((n) => n.metadata?.name === victimNode));
  });

  test('a DaemonSet runs one pod per schedulable node', async () => {
    await apps.createNamespacedDaemonSet({
      namespace: 'apps',
      body: {
        metadata: { name: 'agent' },
        spec: {
          selector: { matchLabels: { app: 'agent' } },
          template: {
            metadata: { labels: { app: 'agent' } },
            spec: { containers: [{ name: 'agent', image: 'agent:1' }] },
          },
        },
      },
    });
    const workers = (await fixture.server.infra.listNodes(CLUSTER))
      .filter((n) => n.role === 'worker')
      .map((n) => n.name);
    await waitFor(
      async () => (await runningPods('agent')).length === workers.length,
      'one agent pod per worker',
    );
    assert.deepEqual((await runningPods('agent')).map((p) => p.spec?.nodeName).sort(), workers.sort());
  });
});
