/**
 * The seed's kubectl scenarios against a simulated cluster, with the real (pinned) kubectl through the cluster's
 * admin kubeconfig: get/describe/-o formats, apply (client- and server-side), scale, watch, rollout, delete.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { KubectlSession } from '../support/kubectl.ts';
import { findKubectl, kubectlSession } from '../support/kubectl.ts';
import { requireOrSkip } from '../support/requirements.ts';
import type { SimFixture } from './sim-fixture.ts';
import { createReadyCluster, startFixture, waitFor } from './sim-fixture.ts';

const MANIFEST = `apiVersion: v1
kind: Namespace
metadata:
  name: hello-universe
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello-universe-deployment
  namespace: hello-universe
spec:
  replicas: 1
  selector:
    matchLabels: {app: hello-universe}
  template:
    metadata:
      labels: {app: hello-universe}
    spec:
      containers:
      - name: hello-universe
        image: ghcr.io/spectrocloud/hello-universe:1.2.0
        ports: [{containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata:
  name: hello-universe-service
  namespace: hello-universe
spec:
  type: LoadBalancer
  selector: {app: hello-universe}
  ports: [{port: 8080, targetPort: 8080}]
`;

const CUSTOM_COLUMNS =
  'custom-columns=POD_NAME:.metadata.name,CONTAINER_NAME:.status.containerStatuses[].name,CONTAINER_ID:.status.containerStatuses[].containerID';

describe('kubectl against a simulated cluster', () => {
  let fixture: SimFixture | undefined;
  let kubectl: KubectlSession | undefined;
  let kubectlPath: string | null = null;
  let missing: string | null = null;

  before(async () => {
    const found = await findKubectl();
    if ('missing' in found) {
      missing = found.missing;
      return;
    }
    kubectlPath = found.path;
    fixture = await startFixture();
    await createReadyCluster(fixture.server, 'cluster-update-deletion');
    kubectl = await kubectlSession(
      kubectlPath,
      fixture.server.kubeconfig('cluster-update-deletion', 'admin'),
    );
  });

  after(async () => {
    await kubectl?.cleanup();
    await fixture?.close();
  });

  const k = async (args: string[], input?: string) => {
    const r = await kubectl!.run(args, input === undefined ? {} : { input });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };

  test('lists Ready nodes with OS image, kubelet version and container runtime (-o wide)', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const out = await k(['get', 'nodes', '-o', 'wide']);
    const lines = out.trim().split('\n');
    assert.match(
      lines[0]!,
      /NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE\s+KERNEL-VERSION\s+CONTAINER-RUNTIME/,
    );
    assert.equal(lines.length, 4);
    assert.ok(
      lines
        .slice(1)
        .every(
          (l) =>
            /\sReady\s/.test(l) &&
            l.includes('v1.33.2') &&
            l.includes('Ubuntu 22.04.5 LTS') &&
            l.includes('containerd://'),
        ),
    );
    assert.ok(lines.some((l) => l.includes('control-plane')));
  });

  test('applies a multi-document file, then reports every object unchanged on a second apply', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const first = await k(['apply', '-f', '-'], MANIFEST);
    assert.match(first, /namespace\/hello-universe created/);
    assert.match(first, /deployment.apps\/hello-universe-deployment created/);
    assert.match(first, /service\/hello-universe-service created/);
    const second = await k(['apply', '-f', '-'], MANIFEST);
    assert.match(second, /namespace\/hello-universe unchanged/);
    assert.match(second, /deployment.apps\/hello-universe-deployment unchanged/);
    assert.match(second, /service\/hello-universe-service unchanged/);
  });

  test('waits for the rollout and shows the pod with a containerd:// container ID (seed custom-columns)', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const rollout = await k([
      'rollout',
      'status',
      'deployment/hello-universe-deployment',
      '-n',
      'hello-universe',
      '--timeout=30s',
    ]);
    assert.match(rollout, /successfully rolled out/);
    const out = await k(['get', 'pods', '-n', 'hello-universe', '-o', CUSTOM_COLUMNS]);
    const lines = out.trim().split('\n');
    assert.match(lines[0]!, /POD_NAME\s+CONTAINER_NAME\s+CONTAINER_ID/);
    assert.equal(lines.length, 2);
    assert.match(
      lines[1]!,
      /^hello-universe-deployment-[bcdfghjklmnpqrstvwxz2456789]+-[bcdfghjklmnpqrstvwxz2456789]{5}\s+hello-universe\s+containerd:\/\/[0-9a-f]{64}$/,
    );
  });

  test('gives the LoadBalancer service an external address', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const out = await k(['get', 'svc', 'hello-universe-service', '-n', 'hello-universe']);
    assert.match(out, /LoadBalancer\s+10\.96\.\d+\.\d+\s+198\.51\.100\.\d+\s+8080:\d+\/TCP/);
  });

  test('prints objects as YAML and JSON and describes them', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const yaml = await k([
      'get',
      'deploy',
      'hello-universe-deployment',
      '-n',
      'hello-universe',
      '-o',
      'yaml',
    ]);
    assert.match(yaml, /kind: Deployment/);
    assert.match(yaml, /availableReplicas: 1/);
    const json = JSON.parse(await k(['get', 'pods', '-n', 'hello-universe', '-o', 'json'])) as {
      items: { status: { phase: string } }[];
    };
    assert.equal(json.items.length, 1);
    assert.equal(json.items[0]!.status.phase, 'Running');
    const described = await k(['describe', 'pod', '-n', 'hello-universe', '-l', 'app=hello-universe']);
    assert.match(described, /Status:\s+Running/);
    assert.match(described, /Container ID:\s+containerd:\/\//);
    const node = await k(['describe', 'nodes']);
    assert.match(node, /Container Runtime Version:\s+containerd:\/\/1\.7\.27/);
  });

  test('scales a deployment to zero (its pods go away) and back', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const before = await k(['get', 'pods', '-n', 'hello-universe', '-o', 'name']);
    assert.equal(before.trim().split('\n').length, 1);
    assert.match(
      await k(['scale', 'deployment', 'hello-universe-deployment', '--replicas=0', '-n', 'hello-universe']),
      /scaled/,
    );
    await waitFor(
      async () => (await k(['get', 'pods', '-n', 'hello-universe', '-o', 'name'])).trim() === '',
      'pods gone',
    );
    await k(['scale', 'deployment', 'hello-universe-deployment', '--replicas=3', '-n', 'hello-universe']);
    await k([
      'rollout',
      'status',
      'deployment/hello-universe-deployment',
      '-n',
      'hello-universe',
      '--timeout=30s',
    ]);
    const out = await k(['get', 'pods', '-n', 'hello-universe', '-o', CUSTOM_COLUMNS]);
    assert.equal(out.trim().split('\n').length, 4);
    assert.equal(new Set(out.match(/containerd:\/\/[0-9a-f]{64}/g)).size, 3);
  });

  test('streams watch events to kubectl get -w', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const watch = kubectl!.spawn(['get', 'configmaps', '-n', 'hello-universe', '-w']);
    try {
      // kubectl prints nothing for an empty namespace; give it time to open the watch.
      await new Promise((r) => setTimeout(r, 700));
      await k(
        ['create', '-f', '-'],
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: watched, namespace: hello-universe}\ndata: {a: b}\n',
      );
      await waitFor(() => watch.output().includes('watched'), 'watch event for the new config map');
    } finally {
      watch.stop();
    }
  });

  test('server-side apply creates objects, records its field manager and refuses a conflicting change unless forced', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const cm = `apiVersion: v1
kind: ConfigMap
metadata:
  name: ssa-demo
  namespace: hello-universe
data:
  greeting: hello
`;
    assert.match(
      await k(['apply', '--server-side', '--field-manager=strata', '-f', '-'], cm),
      /serverside-applied/,
    );
    const live = JSON.parse(
      await k(['get', 'cm', 'ssa-demo', '-n', 'hello-universe', '-o', 'json', '--show-managed-fields']),
    ) as {
      metadata: { managedFields: { manager: string; operation: string }[] };
    };
    assert.ok(live.metadata.managedFields.some((m) => m.manager === 'strata' && m.operation === 'Apply'));
    const other = cm.replace('greeting: hello', 'greeting: bonjour');
    const conflict = await kubectl!.run(
      ['apply', '--server-side', '--field-manager=someone-else', '-f', '-'],
      { input: other },
    );
    assert.notEqual(conflict.code, 0);
    assert.match(conflict.stderr, /conflict with "strata"/);
    await k(
      ['apply', '--server-side', '--field-manager=someone-else', '--force-conflicts', '-f', '-'],
      other,
    );
    assert.equal(
      await k(['get', 'cm', 'ssa-demo', '-n', 'hello-universe', '-o', 'jsonpath={.data.greeting}']),
      'bonjour',
    );
  });

  test('rolls out a changed pod template to new pods', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    await k([
      'set',
      'image',
      'deployment/hello-universe-deployment',
      'hello-universe=ghcr.io/spectrocloud/hello-universe:1.3.0',
      '-n',
      'hello-universe',
    ]);
    assert.match(
      await k([
        'rollout',
        'status',
        'deployment/hello-universe-deployment',
        '-n',
        'hello-universe',
        '--timeout=30s',
      ]),
      /successfully rolled out/,
    );
    const images = await k([
      'get',
      'pods',
      '-n',
      'hello-universe',
      '-o',
      'jsonpath={.items[*].spec.containers[0].image}',
    ]);
    assert.deepEqual(
      new Set(images.trim().split(/\s+/)),
      new Set(['ghcr.io/spectrocloud/hello-universe:1.3.0']),
    );
    const rs = await k(['get', 'rs', '-n', 'hello-universe', '-o', 'name']);
    assert.equal(rs.trim().split('\n').length, 2);
  });

  test('the read-only kubeconfig may read all but Secrets, not write, and a wrong token is refused', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const ro = await kubectlSession(
      kubectlPath!,
      fixture!.server.kubeconfig('cluster-update-deletion', 'read-only'),
    );
    try {
      assert.equal((await ro.run(['get', 'pods', '-A'])).code, 0);
      const denied = await ro.run([
        'delete',
        'deployment',
        'hello-universe-deployment',
        '-n',
        'hello-universe',
      ]);
      assert.notEqual(denied.code, 0);
      assert.match(denied.stderr, /Forbidden|forbidden/);
      // Like Kubernetes' `view` role: Secrets hold credentials, so read-only may not read them either.
      const secrets = await ro.run(['get', 'secrets', '-A']);
      assert.notEqual(secrets.code, 0);
      assert.match(secrets.stderr, /cannot list resource "secrets"/);
      assert.equal((await ro.run(['get', 'configmaps', '-A'])).code, 0);
    } finally {
      await ro.cleanup();
    }
    const wrong = await kubectlSession(
      kubectlPath!,
      fixture!.server
        .kubeconfig('cluster-update-deletion', 'admin')
        .replace(/token: \S+/, 'token: sim.wrong'),
    );
    try {
      const r = await wrong.run(['get', 'pods']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /Unauthorized|must be logged in/);
    } finally {
      await wrong.cleanup();
    }
  });

  test('deletes a deployment with its replica sets and pods, then a namespace with its contents', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    await k(['delete', 'deployment', 'hello-universe-deployment', '-n', 'hello-universe']);
    assert.equal((await k(['get', 'rs,pods', '-n', 'hello-universe', '-o', 'name'])).trim(), '');
    assert.match(await k(['delete', 'namespace', 'hello-universe']), /deleted/);
    const gone = await kubectl!.run(['get', 'namespace', 'hello-universe']);
    assert.match(gone.stderr, /NotFound/);
    assert.equal((await k(['get', 'svc,cm', '-n', 'hello-universe', '-o', 'name'])).trim(), '');
  });
});
