/**
 * kubectl's inspection tools against a simulated cluster, run as a user types them with the real (pinned)
 * kubectl: events (`get events`, `events --watch`, the Events of `describe`), logs (`logs` with its flags),
 * `top`, and `auth can-i` / `auth whoami` with the admin and read-only kubeconfigs. Outputs, exit codes and
 * error texts are asserted as a real cluster prints them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { KubectlSession } from '../support/kubectl.ts';
import { findKubectl, kubectlSession } from '../support/kubectl.ts';
import { requireOrSkip } from '../support/requirements.ts';
import type { SimFixture } from './sim-fixture.ts';
import { createReadyCluster, startFixture, waitFor } from './sim-fixture.ts';

const NS = 'tools';
const MANIFEST = `apiVersion: v1
kind: Namespace
metadata: {name: ${NS}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${NS}
  annotations: {sim.strata.dev/cpu-demand: 800m}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{containerPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: multi, namespace: ${NS}}
spec:
  containers:
  - {name: app, image: ghcr.io/example/app:2.1.0}
  - {name: sidecar, image: busybox:1.36}
`;

describe('kubectl tools: events, logs, top, auth', () => {
  let fixture: SimFixture | undefined;
  let kubectl: KubectlSession | undefined;
  let readOnly: KubectlSession | undefined;
  let missing: string | null = null;

  before(async () => {
    const found = await findKubectl();
    if ('missing' in found) {
      missing = found.missing;
      return;
    }
    fixture = await startFixture();
    await createReadyCluster(fixture.server, 'tools', 2);
    kubectl = await kubectlSession(found.path, fixture.server.kubeconfig('tools', 'admin'));
    readOnly = await kubectlSession(found.path, fixture.server.kubeconfig('tools', 'read-only'));
    const applied = await kubectl.run(['apply', '-f', '-'], { input: MANIFEST });
    assert.equal(applied.code, 0, applied.stderr);
    const rolled = await kubectl.run(['rollout', 'status', 'deploy/web', '-n', NS, '--timeout=30s']);
    assert.equal(rolled.code, 0, rolled.stderr);
    const ready = await kubectl.run([
      'wait',
      '--for=condition=Ready',
      'pod/multi',
      '-n',
      NS,
      '--timeout=30s',
    ]);
    assert.equal(ready.code, 0, ready.stderr);
  });

  after(async () => {
    await kubectl?.cleanup();
    await readOnly?.cleanup();
    await fixture?.close();
  });

  const k = async (...args: string[]): Promise<string> => {
    const r = await kubectl!.run(args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  const webPods = async () =>
    (await k('get', 'pods', '-n', NS, '-l', 'app=web', '-o', 'name')).trim().split('\n');

  test('kubectl get events lists what the scheduler, kubelets and controllers reported', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const out = await k('get', 'events', '-n', NS);
    const [header, ...rows] = out.trimEnd().split('\n');
    assert.match(header!, /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/);
    const pod = (await webPods())[0]!.replace('pod/', '');
    const row = (reason: string, object: string, message: RegExp) =>
      assert.ok(
        rows.some((r) => r.includes(` ${reason} `) && r.includes(object) && message.test(r)),
        `no ${reason} event of ${object} in:\n${out}`,
      );
    row('Scheduled', `pod/${pod}`, new RegExp(`Successfully assigned ${NS}/${pod} to tools-workers-`));
    row('Pulling', `pod/${pod}`, /Pulling image "nginx:1\.27"/);
    row('Pulled', `pod/${pod}`, /Successfully pulled image "nginx:1\.27" in [\d.]+s/);
    row('Created', `pod/${pod}`, /Created container: web/);
    row('Started', `pod/${pod}`, /Started container web/);
    row('SuccessfulCreate', 'replicaset/web-', new RegExp(`Created pod: ${pod}`));
    row('ScalingReplicaSet', 'deployment/web', /Scaled up replica set web-\S+ from 0 to 2/);
    assert.ok(rows.every((r) => /^\d+s\s+Normal\s/.test(r)));
    const wide = await k(
      'get',
      'events',
      '-n',
      NS,
      '-o',
      'wide',
      '--field-selector',
      `involvedObject.name=${pod}`,
    );
    assert.match(wide.split('\n')[0]!, /SUBOBJECT\s+SOURCE\s+MESSAGE\s+FIRST SEEN\s+COUNT\s+NAME/);
    assert.match(wide, /spec\.containers\{web\}\s+kubelet, tools-workers-/);
  });

  test('describe shows the Events of a pod and of a deployment', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const pod = await k('describe', (await webPods())[0]!, '-n', NS);
    const events = pod.slice(pod.indexOf('Events:'));
    assert.match(events, /Type\s+Reason\s+Age\s+From\s+Message/);
    assert.match(events, /Normal\s+Scheduled\s+\d+s\s+default-scheduler\s+Successfully assigned/);
    assert.match(events, /Normal\s+Started\s+\d+s\s+kubelet\s+.*Started container web/);
    const deploy = await k('describe', 'deploy/web', '-n', NS);
    assert.match(
      deploy.slice(deploy.indexOf('Events:')),
      /Normal\s+ScalingReplicaSet\s+\d+s\s+deployment-controller\s+Scaled up replica set web-\S+ from 0 to 2/,
    );
  });

  test('events.k8s.io/v1 is a second view of the same events', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const core = JSON.parse(await k('get', 'events', '-n', NS, '-o', 'json')) as {
      items: { metadata: { name: string }; message: string; source: { component: string } }[];
    };
    const v1 = JSON.parse(await k('get', 'events.events.k8s.io', '-n', NS, '-o', 'json')) as {
      items: {
        apiVersion: string;
        metadata: { name: string };
        note: string;
        reportingController: string;
        regarding: { kind: string };
      }[];
    };
    assert.deepEqual(
      v1.items.map((e) => e.metadata.name).sort(),
      core.items.map((e) => e.metadata.name).sort(),
    );
    const scheduled = v1.items.find((e) => e.note.startsWith('Successfully assigned'))!;
    assert.equal(scheduled.apiVersion, 'events.k8s.io/v1');
    assert.equal(scheduled.reportingController, 'default-scheduler');
    assert.equal(scheduled.regarding.kind, 'Pod');
  });

  test('kubectl events --watch prints new events; a repeated event is counted, not stored twice', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const watch = kubectl!.spawn(['events', '-n', NS, '--watch']);
    try {
      await waitFor(() => watch.output().includes('Scaled up replica set'), 'the existing events', 15_000);
      await k('scale', 'deploy/web', '-n', NS, '--replicas=3');
      await waitFor(
        () => /Scaled up replica set web-\S+ from 2 to 3/.test(watch.output()),
        'the watched ScalingReplicaSet event',
        15_000,
      );
      assert.match(watch.output(), /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE/);
    } finally {
      watch.stop();
    }
    await k('rollout', 'status', 'deploy/web', '-n', NS, '--timeout=30s');
    await k('scale', 'deploy/web', '-n', NS, '--replicas=2');
    await k('rollout', 'status', 'deploy/web', '-n', NS, '--timeout=30s');
    await k('scale', 'deploy/web', '-n', NS, '--replicas=3');
    await waitFor(
      async () =>
        /\(x2 over \d+s\)\s+Normal\s+ScalingReplicaSet\s+deployment\/web\s+Scaled up replica set web-\S+ from 2 to 3/.test(
          await k('get', 'events', '-n', NS),
        ),
      'the repeated scale-up counted x2',
    );
    const deleted = await k('get', 'events', '-n', NS, '--field-selector', 'reason=SuccessfulDelete');
    assert.match(deleted, /SuccessfulDelete\s+replicaset\/web-\S+\s+Deleted pod: web-/);
    await k('rollout', 'status', 'deploy/web', '-n', NS, '--timeout=30s');
    await k('scale', 'deploy/web', '-n', NS, '--replicas=2');
    await k('rollout', 'status', 'deploy/web', '-n', NS, '--timeout=30s');
    await waitFor(
      async () => /Killing\s+pod\/web-\S+\s+Stopping container web/.test(await k('get', 'events', '-n', NS)),
      'a Killing event for the removed pod',
    );
  });

  test('kubectl logs prints a deterministic log naming the image; --tail, --timestamps, --since', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const pod = (await webPods())[0]!;
    const first = await k('logs', pod, '-n', NS);
    const lines = first.trimEnd().split('\n');
    assert.equal(lines[0], 'Starting nginx 1.27 (image nginx:1.27)');
    assert.equal(lines[2], 'Listening on 0.0.0.0:8080');
    const again = await k('logs', pod, '-n', NS);
    assert.ok(again.startsWith(first), 'the same log, grown at most');
    assert.equal((await k('logs', pod, '-n', NS, '--tail=1')).trimEnd().split('\n').length, 1);
    const stamped = (await k('logs', pod, '-n', NS, '--timestamps', '--tail=2')).trimEnd().split('\n');
    assert.ok(
      stamped.every((l) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z \S/.test(l)),
      stamped.join('\n'),
    );
    // The start-up lines are older than any --since window of one second only when the pod is older.
    const since = await k('logs', pod, '-n', NS, '--since=1h');
    assert.ok(since.startsWith('Starting nginx'));
    await new Promise((r) => setTimeout(r, 1100));
    const recent = await k('logs', pod, '-n', NS, '--since=1s');
    assert.doesNotMatch(recent, /^Starting nginx/m, 'a one-second window leaves out the start-up lines');
    assert.ok((await k('logs', pod, '-n', NS)).includes(recent), 'the window is a part of the log');
  });

  test('kubectl logs deploy/x picks one of its pods; -c chooses among containers', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const r = await kubectl!.run(['logs', 'deploy/web', '-n', NS]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Starting nginx 1\.27 \(image nginx:1\.27\)\n/);
    assert.match(r.stderr, /Found \d pods, using pod\/web-/);
    const defaulted = await kubectl!.run(['logs', 'multi', '-n', NS]);
    assert.equal(defaulted.code, 0, defaulted.stderr);
    assert.match(defaulted.stderr, /Defaulted container "app" out of: app, sidecar/);
    assert.match(defaulted.stdout, /^Starting app 2\.1\.0 \(image ghcr\.io\/example\/app:2\.1\.0\)/);
    assert.match(await k('logs', 'multi', '-n', NS, '-c', 'sidecar'), /^Starting busybox 1\.36/);
    const raw = await kubectl!.run(['get', '--raw', `/api/v1/namespaces/${NS}/pods/multi/log`]);
    assert.equal(raw.code, 1);
    assert.match(
      raw.stderr,
      /Error from server \(BadRequest\): a container name must be specified for pod multi, choose one of: \[app sidecar\]/,
    );
    const wrong = await kubectl!.run(['logs', 'multi', '-n', NS, '-c', 'nope']);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /container nope is not valid for pod multi/);
  });

  test('kubectl logs --previous without a restart fails as on a real cluster', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const pod = (await webPods())[0]!.replace('pod/', '');
    const r = await kubectl!.run(['logs', pod, '-n', NS, '--previous']);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `Error from server \\(BadRequest\\): previous terminated container "web" in pod "${pod}" not found`,
      ),
    );
  });

  test('kubectl logs -f keeps streaming new lines', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const pod = (await webPods())[0]!;
    const follow = kubectl!.spawn(['logs', pod, '-n', NS, '-f', '--tail=1']);
    try {
      await waitFor(
        () => follow.output().trim().split('\n').length >= 1 && follow.output().length > 0,
        'the tail',
      );
      await waitFor(() => follow.output().trim().split('\n').length >= 2, 'a new streamed line', 12_000);
      assert.match(follow.output().trim().split('\n').at(-1)!, /GET \/\S* \d{3} /);
    } finally {
      follow.stop();
    }
  });

  test('kubectl top nodes and top pods print usage that follows the replicas', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const nodes = (await k('top', 'nodes')).trimEnd().split('\n');
    assert.match(nodes[0]!, /^NAME\s+CPU\(cores\)\s+CPU\(%\)\s+MEMORY\(bytes\)\s+MEMORY\(%\)/);
    assert.equal(nodes.length, 4);
    assert.ok(
      nodes.slice(1).every((l) => /^tools-\S+\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%/.test(l)),
      nodes.join('\n'),
    );
    const cpuOfWebPods = async () => {
      const rows = (await k('top', 'pods', '-n', NS, '-l', 'app=web')).trimEnd().split('\n');
      assert.match(rows[0]!, /^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/);
      return rows.slice(1).map((r) => Number(/\s(\d+)m\s/.exec(r)![1]));
    };
    const two = await cpuOfWebPods();
    assert.equal(two.length, 2);
    assert.ok(
      two.every((c) => c > 350 && c < 450),
      `800m over 2 pods: ${two}`,
    );
    await k('scale', 'deploy/web', '-n', NS, '--replicas=4');
    await k('rollout', 'status', 'deploy/web', '-n', NS, '--timeout=30s');
    await waitFor(async () => (await cpuOfWebPods()).length === 4, '4 pods with metrics');
    const four = await cpuOfWebPods();
    assert.ok(
      four.every((c) => c > 170 && c < 230),
      `800m over 4 pods: ${four}`,
    );
    const noMetrics = await kubectl!.run(['top', 'pod', 'nope', '-n', NS]);
    assert.equal(noMetrics.code, 1);
    assert.match(noMetrics.stderr, /podmetrics.metrics.k8s.io "tools\/nope" not found/);
  });

  test('an autoscaling/v2 HPA scales a Deployment from the metrics, at most max(100 %, 4 pods) per sync', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const busy = `apiVersion: apps/v1
kind: Deployment
metadata: {name: busy, namespace: ${NS}, annotations: {sim.strata.dev/cpu-demand: 800m}}
spec:
  replicas: 1
  selector: {matchLabels: {app: busy}}
  template:
    metadata: {labels: {app: busy}}
    spec:
      containers:
      - {name: busy, image: nginx:1.27, resources: {requests: {cpu: 100m}}}
`;
    await kubectl!.run(['apply', '-f', '-'], { input: busy });
    await k('rollout', 'status', 'deploy/busy', '-n', NS, '--timeout=30s');
    assert.match(
      await k('autoscale', 'deploy/busy', '-n', NS, '--cpu=50%', '--min=1', '--max=10'),
      /horizontalpodautoscaler.autoscaling\/busy autoscaled/,
    );
    // 800m over 1 pod requesting 100m is 800 % of a 50 % target: 16 wanted, 1 + 4 allowed in one sync.
    await waitFor(
      async () => (await k('get', 'deploy/busy', '-n', NS, '-o', 'jsonpath={.spec.replicas}')) === '5',
      'the first scale-up to 5',
    );
    assert.match(
      await k('get', 'events', '-n', NS, '--field-selector', 'reason=SuccessfulRescale'),
      /SuccessfulRescale\s+horizontalpodautoscaler\/busy\s+New size: 5; reason: cpu resource utilization \(percentage of request\) above target/,
    );
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(
      await k('get', 'deploy/busy', '-n', NS, '-o', 'jsonpath={.spec.replicas}'),
      '5',
      'no second step before the next sync',
    );
  });

  test('kubectl auth can-i answers yes/no with exit codes 0/1 by the kubeconfig role', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const can = async (s: KubectlSession, ...args: string[]) => {
      const r = await s.run(['auth', 'can-i', ...args]);
      return `${r.stdout.trim()} ${r.code}`;
    };
    assert.equal(await can(kubectl!, 'create', 'deployments'), 'yes 0');
    assert.equal(await can(kubectl!, 'delete', 'secrets', '-n', 'kube-system'), 'yes 0');
    assert.equal(await can(readOnly!, 'create', 'deployments'), 'no 1');
    assert.equal(await can(readOnly!, 'list', 'pods', '-A'), 'yes 0');
    assert.equal(await can(readOnly!, 'get', 'secrets'), 'no 1');
    assert.equal(await can(readOnly!, 'create', 'pods', '--subresource=exec'), 'no 1');
    assert.equal(await can(readOnly!, 'get', 'pods', '--subresource=log'), 'yes 0');
    assert.equal(await can(readOnly!, 'get', '/healthz'), 'yes 0');
    const quiet = await readOnly!.run(['auth', 'can-i', 'delete', 'pods', '-q']);
    assert.deepEqual([quiet.stdout, quiet.code], ['', 1]);
  });

  test('kubectl auth can-i --list and kubectl auth whoami', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const admin = (await k('auth', 'can-i', '--list')).split('\n');
    assert.match(admin[0]!, /^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs/);
    assert.ok(admin.some((l) => /^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]/.test(l)));
    const ro = await readOnly!.run(['auth', 'can-i', '--list', '-n', NS]);
    assert.equal(ro.code, 0, ro.stderr);
    assert.match(ro.stdout, /\npods\s+\[\]\s+\[\]\s+\[get list watch\]/);
    assert.match(ro.stdout, /\ndeployments\.apps\s+\[\]\s+\[\]\s+\[get list watch\]/);
    assert.doesNotMatch(ro.stdout, /\nsecrets\s/);
    assert.match(
      await k('auth', 'whoami'),
      /^ATTRIBUTE\s+VALUE\nUsername\s+admin\nGroups\s+\[system:masters system:authenticated\]/,
    );
    const who = await readOnly!.run(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
    assert.deepEqual([who.stdout, who.code], ['read-only', 0]);
  });
});
