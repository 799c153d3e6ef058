/**
 * API server behaviour real charts and kubectl rely on, through the real kubectl: CRDs Established and their
 * custom resources served at once (printed with the CRD's columns), the kinds discovery lists (scope, short
 * names), PodDisruptionBudget status, the defaults the API server fills (StatefulSet, DaemonSet, Deployment,
 * Service, pod templates) with `kubectl rollout status`, `history` and `undo` of StatefulSets and DaemonSets, and
 * the limits it enforces with its own error texts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { KubectlSession } from '../support/kubectl.ts';
import { findKubectl, kubectlSession } from '../support/kubectl.ts';
import { requireOrSkip } from '../support/requirements.ts';
import type { SimFixture } from './sim-fixture.ts';
import { checkedKubectl, createReadyCluster, startFixture } from './sim-fixture.ts';

const CLUSTER = 'behaviour';

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    - {name: Ready, type: string, jsonPath: '.status.conditions[?(@.type=="Ready")].status'}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
`;

const WORKLOADS = `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 2
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: postgres:16}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: agent, image: fluent/fluent-bit}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: "nginx:1.27", ports: [{containerPort: 80}]}
      - {name: latest, image: "nginx:latest"}
      - {name: untagged, image: "registry.local:5000/tools"}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  minAvailable: 2
  selector: {matchLabels: {app: web}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
`;

describe('API server behaviour through kubectl', () => {
  let fixture: SimFixture | undefined;
  let kubectl: KubectlSession | undefined;
  let missing: string | null = null;

  before(async () => {
    const found = await findKubectl();
    if ('missing' in found) {
      missing = found.missing;
      return;
    }
    fixture = await startFixture();
    await createReadyCluster(fixture.server, CLUSTER);
    kubectl = await kubectlSession(found.path, fixture.server.kubeconfig(CLUSTER, 'admin'));
  });
  after(async () => {
    await kubectl?.cleanup();
    await fixture?.close();
  });
  const k = checkedKubectl(() => kubectl!);
  const json = async (args: string[]) => JSON.parse(await k([...args, '-o', 'json']));
  const refused = async (args: string[], input?: string) => {
    const r = await kubectl!.run(args, input === undefined ? {} : { input });
    assert.equal(r.code, 1, `kubectl ${args.join(' ')} should fail: ${r.stdout}`);
    return r.stderr;
  };

  test('a CRD is Established (kubectl wait) and its custom resources are served right after', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    await k(['apply', '-f', '-'], CRD);
    assert.match(
      await k(['wait', '--for=condition=Established', 'crd/widgets.example.com', '--timeout=30s']),
      /customresourcedefinition.apiextensions.k8s.io\/widgets.example.com condition met/,
    );
    const crd = await json(['get', 'crd', 'widgets.example.com']);
    assert.deepEqual(
      crd.status.conditions.map((c: { type: string; status: string; reason: string }) => [
        c.type,
        c.status,
        c.reason,
      ]),
      [
        ['NamesAccepted', 'True', 'NoConflicts'],
        ['Established', 'True', 'InitialNamesAccepted'],
      ],
    );
    assert.equal(crd.status.acceptedNames.kind, 'Widget');
    assert.equal(crd.status.acceptedNames.listKind, 'WidgetList');
    assert.deepEqual(crd.status.storedVersions, ['v1']);
    assert.match((await k(['get', 'crd'])).split('\n')[0]!, /^NAME\s+CREATED AT/);
    assert.match(
      await k(
        ['apply', '-f', '-'],
        'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: 3}\nstatus: {conditions: [{type: Ready, status: "True"}]}\n',
      ),
      /widget.example.com\/w1 created/,
    );
    // The CRD's additionalPrinterColumns are the columns of `kubectl get`.
    const widgets = (await k(['get', 'wd'])).split('\n');
    assert.match(widgets[0]!, /^NAME\s+SIZE\s+READY\s+AGE$/);
    assert.match(widgets[1]!, /^w1\s+3\s+True\s+\d+s$/);
  });

  test('discovery lists the kinds charts bring, with their scope and short names', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const out = await k(['api-resources']);
    const row = (re: RegExp) => assert.match(out, re);
    row(
      /^validatingwebhookconfigurations\s+admissionregistration.k8s.io\/v1\s+false\s+ValidatingWebhookConfiguration$/m,
    );
    row(
      /^mutatingwebhookconfigurations\s+admissionregistration.k8s.io\/v1\s+false\s+MutatingWebhookConfiguration$/m,
    );
    row(
      /^validatingadmissionpolicies\s+admissionregistration.k8s.io\/v1\s+false\s+ValidatingAdmissionPolicy$/m,
    );
    row(/^poddisruptionbudgets\s+pdb\s+policy\/v1\s+true\s+PodDisruptionBudget$/m);
    row(/^horizontalpodautoscalers\s+hpa\s+autoscaling\/v2\s+true\s+HorizontalPodAutoscaler$/m);
    row(/^endpointslices\s+discovery.k8s.io\/v1\s+true\s+EndpointSlice$/m);
    row(/^leases\s+coordination.k8s.io\/v1\s+true\s+Lease$/m);
    row(/^priorityclasses\s+pc\s+scheduling.k8s.io\/v1\s+false\s+PriorityClass$/m);
    row(/^cronjobs\s+cj\s+batch\/v1\s+true\s+CronJob$/m);
    row(/^jobs\s+batch\/v1\s+true\s+Job$/m);
    row(/^ingressclasses\s+networking.k8s.io\/v1\s+false\s+IngressClass$/m);
    row(/^networkpolicies\s+netpol\s+networking.k8s.io\/v1\s+true\s+NetworkPolicy$/m);
    row(/^csidrivers\s+storage.k8s.io\/v1\s+false\s+CSIDriver$/m);
    row(/^storageclasses\s+sc\s+storage.k8s.io\/v1\s+false\s+StorageClass$/m);
  });

  test('fills the API server’s defaults; rollout status works for StatefulSets and DaemonSets', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    await k(['apply', '-f', '-'], WORKLOADS);
    const sts = await json(['get', 'sts', 'db']);
    assert.deepEqual(sts.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
    assert.equal(sts.spec.podManagementPolicy, 'OrderedReady');
    assert.equal(sts.spec.revisionHistoryLimit, 10);
    assert.match(
      await k(['rollout', 'status', 'statefulset/db', '--timeout=60s']),
      /partitioned roll out complete: 2 new pods have been updated/,
    );
    const ds = await json(['get', 'ds', 'agent']);
    assert.deepEqual(ds.spec.updateStrategy, {
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 1, maxSurge: 0 },
    });
    assert.match(
      await k(['rollout', 'status', 'daemonset/agent', '--timeout=60s']),
      /daemon set "agent" successfully rolled out/,
    );
    const deploy = await json(['get', 'deploy', 'web']);
    assert.equal(deploy.spec.progressDeadlineSeconds, 600);
    assert.equal(deploy.spec.revisionHistoryLimit, 10);
    assert.deepEqual(deploy.spec.strategy, {
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
    });
    const pod = deploy.spec.template.spec;
    assert.equal(pod.restartPolicy, 'Always');
    assert.equal(pod.dnsPolicy, 'ClusterFirst');
    assert.equal(pod.terminationGracePeriodSeconds, 30);
    assert.deepEqual(
      pod.containers.map((c: { imagePullPolicy: string }) => c.imagePullPolicy),
      ['IfNotPresent', 'Always', 'Always'],
    );
    assert.equal(pod.containers[0].terminationMessagePath, '/dev/termination-log');
    assert.equal(pod.containers[0].ports[0].protocol, 'TCP');
    const svc = (await json(['get', 'svc', 'web'])).spec;
    assert.equal(svc.type, 'ClusterIP');
    assert.equal(svc.sessionAffinity, 'None');
    assert.match(svc.clusterIP, /^10\.96\.\d+\.\d+$/);
    assert.deepEqual(svc.clusterIPs, [svc.clusterIP]);
    assert.deepEqual(svc.ipFamilies, ['IPv4']);
    assert.equal(svc.ipFamilyPolicy, 'SingleStack');
    assert.deepEqual(svc.ports, [{ port: 80, protocol: 'TCP', targetPort: 80 }]);
    // A StatefulSet rolls from the highest ordinal down; rollout status waits for it.
    await k(['set', 'image', 'statefulset/db', 'db=postgres:17']);
    await k(['rollout', 'status', 'statefulset/db', '--timeout=60s']);
    const images = await k([
      'get',
      'pods',
      '-l',
      'app=db',
      '-o',
      'jsonpath={.items[*].spec.containers[0].image}',
    ]);
    assert.equal(images, 'postgres:17 postgres:17');
    assert.match(
      await k(['get', 'pod', 'db-0', '-o', 'jsonpath={.spec.hostname}.{.spec.subdomain}']),
      /^db-0\.db$/,
    );
    // Each template is a ControllerRevision: rollout history lists them, rollout undo goes back to the first.
    const history = await k(['rollout', 'history', 'statefulset/db']);
    assert.match(history, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
    assert.match(await k(['rollout', 'undo', 'statefulset/db']), /statefulset.apps\/db rolled back/);
    await k(['rollout', 'status', 'statefulset/db', '--timeout=60s']);
    assert.equal(
      await k(['get', 'pods', '-l', 'app=db', '-o', 'jsonpath={.items[*].spec.containers[0].image}']),
      'postgres:16 postgres:16',
    );
    const revisions = await k(['get', 'controllerrevisions', '-l', 'app=db', '--sort-by=.revision']);
    assert.match(revisions.split('\n')[0]!, /^NAME\s+CONTROLLER\s+REVISION\s+AGE/);
    assert.match(revisions, /^db-\w+\s+statefulset.apps\/db\s+2\s/m);
    assert.match(revisions, /^db-\w+\s+statefulset.apps\/db\s+3\s/m);
    assert.match(await k(['rollout', 'history', 'daemonset/agent']), /REVISION\s+CHANGE-CAUSE\n1\s+<none>/);
  });

  test('a PodDisruptionBudget reports its healthy pods and the disruptions allowed', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    await k(['rollout', 'status', 'deployment/web', '--timeout=60s']);
    await k(['wait', '--for=jsonpath={.status.currentHealthy}=3', 'pdb/web', '--timeout=30s']);
    const pdb = (await json(['get', 'pdb', 'web'])).status;
    assert.deepEqual(
      [pdb.expectedPods, pdb.currentHealthy, pdb.desiredHealthy, pdb.disruptionsAllowed],
      [3, 3, 2, 1],
    );
    assert.equal(pdb.conditions[0].type, 'DisruptionAllowed');
    assert.equal(pdb.conditions[0].status, 'True');
    const table = (await k(['get', 'pdb', 'web'])).split('\n');
    assert.match(table[0]!, /^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE/);
    assert.match(table[1]!, /^web\s+2\s+N\/A\s+1\s+\d+s/);
  });

  test('refuses bad names and labels with the API server’s messages', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    assert.match(
      await refused(['create', 'configmap', 'Bad_Name']),
      /error: failed to create configmap: ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character \(e.g. 'example.com', regex used for validation is/,
    );
    assert.match(
      await refused(['create', 'service', 'clusterip', 'my.svc', '--tcp=80']),
      /Service "my.svc" is invalid: metadata.name: Invalid value: "my.svc": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character/,
    );
    const long = 'n'.repeat(64);
    assert.match(
      await refused(['create', 'namespace', long]),
      new RegExp(
        `The Namespace "${long}" is invalid: metadata.name: Invalid value: "${long}": must be no more than 63 characters`,
      ),
    );
    assert.match(
      await refused(
        ['create', '-f', '-'],
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: labelled, labels: {app: "-bad-"}}\n',
      ),
      /The ConfigMap "labelled" is invalid: metadata.labels: Invalid value: "-bad-": a valid label must be an empty string or consist of alphanumeric characters/,
    );
  });

  test('refuses annotations over 256 KiB, data over 1 MiB and bodies over 3 MiB', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const annotated = JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'annotated', annotations: { big: 'a'.repeat(262_145) } },
    });
    assert.match(
      await refused(['create', '-f', '-'], annotated),
      /The ConfigMap "annotated" is invalid: metadata.annotations: Too long: must have at most 262144 bytes/,
    );
    const large = JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'large' },
      data: { blob: 'x'.repeat(1_100_000) },
    });
    assert.match(
      await refused(['create', '-f', '-'], large),
      /The ConfigMap "large" is invalid: \[\]: Too long: must have at most 1048576 bytes/,
    );
    const huge = JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'huge' },
      data: { blob: 'x'.repeat(3_300_000) },
    });
    assert.match(
      await refused(['create', '-f', '-'], huge),
      /Error from server \(RequestEntityTooLarge\).*Request entity too large: limit is 3145728/,
    );
  });

  test('kubectl apply refuses a last-applied annotation over 256 KiB (server-side apply keeps none); names over 253 characters, bad label keys and objects over 1.5 MiB are refused', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    // Client-side apply copies the object into kubectl.kubernetes.io/last-applied-configuration: 346 KB of data
    // fit a ConfigMap, not its annotations.
    const applied = JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'applied' },
      data: { blob: 'x'.repeat(346_000) },
    });
    assert.match(
      await refused(['apply', '-f', '-'], applied),
      /^The ConfigMap "applied" is invalid: metadata.annotations: Too long: must have at most 262144 bytes/,
    );
    assert.match(
      await k(['apply', '--server-side', '-f', '-'], applied),
      /configmap\/applied serverside-applied/,
    );
    assert.match(await k(['create', 'configmap', 'n'.repeat(253)]), /created/);
    assert.match(
      await refused(['create', 'configmap', 'n'.repeat(254)]),
      /metadata.name: Invalid value: "n+": must be no more than 253 characters/,
    );
    assert.match(
      await refused(['label', 'configmap', 'applied', 'bad key=x']),
      /The ConfigMap "applied" is invalid: metadata.labels: Invalid value: "bad key": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character/,
    );
    // Under the 3 MiB request limit but over etcd's 1.5 MiB: a custom resource (no 1 MiB data limit applies).
    const widget = JSON.stringify({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'heavy' },
      spec: { blob: 'x'.repeat(2_000_000) },
    });
    assert.match(
      await refused(['create', '-f', '-'], widget),
      /Error from server \(RequestEntityTooLarge\): error when creating "STDIN": etcdserver: request is too large/,
    );
  });
});
