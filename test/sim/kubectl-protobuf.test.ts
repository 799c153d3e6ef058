/**
 * kubectl 1.35's typed commands (`create namespace|configmap|secret|deployment|…`, `autoscale`, `drain`) send
 * `application/vnd.kubernetes.protobuf` bodies and never fall back to JSON: the real (pinned) kubectl runs them
 * against a simulated cluster, and every created object is read back with `kubectl get -o json`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { KubectlSession } from '../support/kubectl.ts';
import { findKubectl, kubectlSession } from '../support/kubectl.ts';
import { requireOrSkip } from '../support/requirements.ts';
import type { SimFixture } from './sim-fixture.ts';
import { createReadyCluster, startFixture, waitFor } from './sim-fixture.ts';

// biome-ignore lint/suspicious/noExplicitAny: kubectl's JSON output is walked by path in the assertions below.
type Json = Record<string, any>;

describe('kubectl commands that send protobuf bodies', () => {
  let fixture: SimFixture | undefined;
  let kubectl: KubectlSession | undefined;
  let missing: string | null = null;
  let nodes: string[] = [];

  before(async () => {
    const found = await findKubectl();
    if ('missing' in found) {
      missing = found.missing;
      return;
    }
    fixture = await startFixture();
    nodes = await createReadyCluster(fixture.server, 'proto', 2);
    kubectl = await kubectlSession(found.path, fixture.server.kubeconfig('proto', 'admin'));
  });

  after(async () => {
    await kubectl?.cleanup();
    await fixture?.close();
  });

  const k = async (...args: string[]): Promise<string> => {
    const r = await kubectl!.run(args, { timeoutMs: 90_000 });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  const getJson = async (...args: string[]): Promise<Json> =>
    JSON.parse(await k('get', ...args, '-o', 'json'));

  test('create namespace, then a configmap in it', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    assert.match(await k('create', 'namespace', 'ns1'), /namespace\/ns1 created/);
    const ns = await getJson('namespace', 'ns1');
    assert.equal(ns['metadata']['name'], 'ns1');
    assert.equal(ns['status']['phase'], 'Active');
    assert.match(
      await k('create', 'configmap', 'cm1', '-n', 'ns1', '--from-literal=a=b', '--from-literal=c=d e'),
      /configmap\/cm1 created/,
    );
    const cm = await getJson('configmap', 'cm1', '-n', 'ns1');
    assert.deepEqual(cm['data'], { a: 'b', c: 'd e' });
    assert.equal(cm['metadata']['namespace'], 'ns1');
  });

  test('create secret generic and docker-registry keep data and type', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    await k('create', 'secret', 'generic', 's1', '--from-literal=x=y', '--from-literal=empty=');
    const s1 = await getJson('secret', 's1');
    assert.equal(s1['type'], 'Opaque');
    assert.equal(Buffer.from(s1['data']['x'], 'base64').toString(), 'y');
    assert.equal(s1['data']['empty'], '');
    await k(
      'create',
      'secret',
      'docker-registry',
      'reg',
      '--docker-server=registry.example',
      '--docker-username=u',
      '--docker-password=p',
    );
    const reg = await getJson('secret', 'reg');
    assert.equal(reg['type'], 'kubernetes.io/dockerconfigjson');
    const config = JSON.parse(Buffer.from(reg['data']['.dockerconfigjson'], 'base64').toString());
    assert.equal(config['auths']['registry.example']['username'], 'u');
  });

  test('create serviceaccount', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    await k('create', 'serviceaccount', 'robot');
    assert.equal((await getJson('serviceaccount', 'robot'))['metadata']['name'], 'robot');
  });

  test('create deployment keeps replicas, selector, image and ports, and its pods start', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    assert.match(
      await k('create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=2', '--port=8080'),
      /deployment.apps\/web created/,
    );
    const d = await getJson('deployment', 'web');
    assert.equal(d['spec']['replicas'], 2);
    assert.deepEqual(d['spec']['selector'], { matchLabels: { app: 'web' } });
    assert.deepEqual(d['spec']['template']['metadata']['labels'], { app: 'web' });
    const container = d['spec']['template']['spec']['containers'][0];
    assert.equal(container['name'], 'nginx');
    assert.equal(container['image'], 'nginx:1.27');
    assert.deepEqual(
      container['ports'].map((p: Json) => p['containerPort']),
      [8080],
    );
    let pods: Json[] = [];
    await waitFor(
      async () => {
        pods = (await getJson('pods', '-l', 'app=web'))['items'];
        return pods.length === 2 && pods.every((p) => p['status']['phase'] === 'Running');
      },
      'two Running web pods',
      60_000,
    );
    assert.ok(pods.every((p) => p['metadata']['ownerReferences'][0]['kind'] === 'ReplicaSet'));
    assert.ok(pods.every((p) => p['spec']['containers'][0]['image'] === 'nginx:1.27'));
    const rollout = await k('rollout', 'status', 'deployment/web', '--timeout=60s');
    assert.match(rollout, /successfully rolled out/);
  });

  test('expose, label, annotate, set image, rollout restart and patch the created deployment', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    assert.match(
      await k('expose', 'deployment', 'web', '--port=80', '--target-port=8080'),
      /service\/web exposed/,
    );
    const svc = await getJson('service', 'web');
    assert.deepEqual(svc['spec']['selector'], { app: 'web' });
    assert.equal(svc['spec']['ports'][0]['port'], 80);
    assert.equal(svc['spec']['ports'][0]['targetPort'], 8080);

    await k('label', 'deployment', 'web', 'tier=frontend');
    await k('annotate', 'deployment', 'web', 'owner=team-a');
    await k('set', 'image', 'deployment/web', 'nginx=nginx:1.28');
    await k('rollout', 'restart', 'deployment/web');
    await k('patch', 'deployment', 'web', '-p', '{"spec":{"replicas":3}}');
    const d = await getJson('deployment', 'web');
    assert.equal(d['metadata']['labels']['tier'], 'frontend');
    assert.equal(d['metadata']['annotations']['owner'], 'team-a');
    assert.equal(d['spec']['template']['spec']['containers'][0]['image'], 'nginx:1.28');
    assert.ok(d['spec']['template']['metadata']['annotations']['kubectl.kubernetes.io/restartedAt']);
    assert.equal(d['spec']['replicas'], 3);
    await waitFor(
      async () => {
        const pods: Json[] = (await getJson('pods', '-l', 'app=web'))['items'];
        return (
          pods.length === 3 &&
          pods.every(
            (p) => p['status']['phase'] === 'Running' && p['spec']['containers'][0]['image'] === 'nginx:1.28',
          )
        );
      },
      'three Running nginx:1.28 pods',
      60_000,
    );
  });

  test('create service clusterip / nodeport keep ports and type', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    await k('create', 'service', 'clusterip', 'api', '--tcp=80:8080');
    const api = await getJson('service', 'api');
    assert.equal(api['spec']['type'], 'ClusterIP');
    assert.deepEqual(
      api['spec']['ports'].map((p: Json) => [p['name'], p['port'], p['targetPort'], p['protocol']]),
      [['80-8080', 80, 8080, 'TCP']],
    );
    await k('create', 'service', 'nodeport', 'edge', '--tcp=443:8443');
    const edge = await getJson('service', 'edge');
    assert.equal(edge['spec']['type'], 'NodePort');
    assert.equal(edge['spec']['ports'][0]['targetPort'], 8443);
  });

  test('create job and cronjob keep the command, schedule and restart policy', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    await k('create', 'job', 'once', '--image=busybox', '--', 'echo', 'hello');
    const job = await getJson('job', 'once');
    const jobPod = job['spec']['template']['spec'];
    assert.deepEqual(jobPod['containers'][0]['command'], ['echo', 'hello']);
    assert.equal(jobPod['containers'][0]['image'], 'busybox');
    assert.equal(jobPod['restartPolicy'], 'Never');
    await k('create', 'cronjob', 'nightly', '--image=busybox', '--schedule=0 3 * * *', '--', 'date');
    const cj = await getJson('cronjob', 'nightly');
    assert.equal(cj['spec']['schedule'], '0 3 * * *');
    assert.deepEqual(cj['spec']['jobTemplate']['spec']['template']['spec']['containers'][0]['command'], [
      'date',
    ]);
    await k('create', 'job', 'manual', '--from=cronjob/nightly');
    const manual = await getJson('job', 'manual');
    assert.equal(manual['metadata']['annotations']['cronjob.kubernetes.io/instantiate'], 'manual');
    assert.equal(manual['metadata']['ownerReferences'][0]['name'], 'nightly');
    assert.equal(manual['metadata']['ownerReferences'][0]['controller'], true);
  });

  test('create role, clusterrole and their bindings', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    await k('create', 'role', 'reader', '--verb=get,list', '--resource=pods,configmaps');
    const role = await getJson('role', 'reader');
    assert.deepEqual(role['rules'][0]['verbs'], ['get', 'list']);
    assert.deepEqual(role['rules'][0]['resources'], ['pods', 'configmaps']);
    await k('create', 'clusterrole', 'node-reader', '--verb=get', '--resource=nodes');
    assert.deepEqual((await getJson('clusterrole', 'node-reader'))['rules'][0]['resources'], ['nodes']);
    await k('create', 'rolebinding', 'reader-alice', '--role=reader', '--user=alice');
    const rb = await getJson('rolebinding', 'reader-alice');
    assert.deepEqual(rb['roleRef'], { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' });
    assert.deepEqual(rb['subjects'], [
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' },
    ]);
    await k(
      'create',
      'clusterrolebinding',
      'nodes-robot',
      '--clusterrole=node-reader',
      '--serviceaccount=default:robot',
    );
    const crb = await getJson('clusterrolebinding', 'nodes-robot');
    assert.deepEqual(crb['subjects'], [{ kind: 'ServiceAccount', name: 'robot', namespace: 'default' }]);
  });

  test('create poddisruptionbudget, ingress, quota and priorityclass', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    await k('create', 'poddisruptionbudget', 'web-pdb', '--selector=app=web', '--min-available=1');
    const pdb = await getJson('poddisruptionbudget', 'web-pdb');
    assert.equal(pdb['spec']['minAvailable'], 1);
    assert.deepEqual(pdb['spec']['selector'], { matchLabels: { app: 'web' } });
    await k('create', 'poddisruptionbudget', 'web-pdb2', '--selector=app=web', '--max-unavailable=50%');
    assert.equal((await getJson('poddisruptionbudget', 'web-pdb2'))['spec']['maxUnavailable'], '50%');

    await k('create', 'ingress', 'site', '--class=nginx', '--rule=shop.example/cart*=web:80');
    const ing = await getJson('ingress', 'site');
    assert.equal(ing['spec']['ingressClassName'], 'nginx');
    const rule = ing['spec']['rules'][0];
    assert.equal(rule['host'], 'shop.example');
    assert.deepEqual(rule['http']['paths'][0], {
      path: '/cart',
      pathType: 'Prefix',
      backend: { service: { name: 'web', port: { number: 80 } } },
    });

    await k('create', 'quota', 'small', '--hard=pods=10,requests.cpu=2,requests.memory=1Gi');
    const quota = await getJson('resourcequota', 'small');
    assert.deepEqual(quota['spec']['hard'], { pods: '10', 'requests.cpu': '2', 'requests.memory': '1Gi' });

    await k(
      'create',
      'priorityclass',
      'high',
      '--value=1000',
      '--description=important',
      '--preemption-policy=Never',
    );
    const pc = await getJson('priorityclass', 'high');
    assert.equal(pc['value'], 1000);
    assert.equal(pc['description'], 'important');
    assert.equal(pc['preemptionPolicy'], 'Never');
  });

  test('autoscale sends a HorizontalPodAutoscaler with a CPU utilization target', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    assert.match(await k('autoscale', 'deployment', 'web', '--min=2', '--max=5', '--cpu=70%'), /autoscaled/);
    const hpa = await getJson('hpa', 'web');
    assert.equal(hpa['spec']['minReplicas'], 2);
    assert.equal(hpa['spec']['maxReplicas'], 5);
    assert.deepEqual(hpa['spec']['scaleTargetRef'], {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'web',
    });
    assert.deepEqual(hpa['spec']['metrics'], [
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
      },
    ]);
  });

  test('cordon, then drain (protobuf Evictions through pods/eviction) move the pods off a worker', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const before: Json[] = (await getJson('pods', '-l', 'app=web'))['items'];
    const worker: string = before[0]!['spec']['nodeName'];
    const other = nodes.find((n) => n !== worker && n !== nodes[0])!;
    await k('cordon', other);
    assert.equal((await getJson('node', other))['spec']['unschedulable'], true);
    await k('uncordon', other);
    assert.equal((await getJson('node', other))['spec']['unschedulable'], undefined);
    // The Eviction API refuses pods two budgets cover (500, as Kubernetes does): web keeps one, minAvailable 1.
    await k('delete', 'poddisruptionbudget', 'web-pdb2');
    const out = await k('drain', worker, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=60s');
    assert.match(out, /pod\/web-\S+ evicted/);
    assert.match(out, /drained/);
    assert.equal((await getJson('node', worker))['spec']['unschedulable'], true);
    await waitFor(
      async () => {
        const pods: Json[] = (await getJson('pods', '-l', 'app=web'))['items'];
        return (
          pods.length === 3 &&
          pods.every((p) => p['status']['phase'] === 'Running' && p['spec']['nodeName'] !== worker)
        );
      },
      'three Running web pods off the drained worker',
      60_000,
    );
  });

  test('kubectl get still parses JSON answers while asking for protobuf', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const out = await k('get', 'deployments', '-o', 'wide');
    assert.match(out, /^web\s+3\/3\s+3\s+3\s+\S+\s+nginx\s+nginx:1.28\s+app=web$/m);
    const names = (await k('get', 'configmaps,secrets', '-n', 'ns1', '-o', 'name')).trim().split('\n');
    assert.ok(names.includes('configmap/cm1'));
  });
});
