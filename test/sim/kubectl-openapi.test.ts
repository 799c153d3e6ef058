/**
 * OpenAPI against a simulated cluster with the real (pinned) kubectl: `kubectl explain` for built-in and
 * custom kinds, and field validation — `kubectl apply` (strict by default) refuses unknown fields with the API
 * server's messages for create, patch and server-side apply, warns with `--validate=warn`, and accepts every
 * field of a valid manifest. The built-in documents are built once per process and shared by all clusters.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openApiV3Document } from '../../src/sim/openapi.ts';
import { BUILTIN_RESOURCES } from '../../src/sim/resources.ts';
import type { KubectlSession } from '../support/kubectl.ts';
import { findKubectl, kubectlSession } from '../support/kubectl.ts';
import { requireOrSkip } from '../support/requirements.ts';
import type { SimFixture } from './sim-fixture.ts';
import { createReadyCluster, startFixture } from './sim-fixture.ts';

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: default, labels: {app: api}}
spec:
  replicas: 2
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 25%, maxUnavailable: 0}}
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}, annotations: {a: b}}
    spec:
      terminationGracePeriodSeconds: 10
      securityContext: {runAsNonRoot: true, runAsUser: 1000}
      volumes: [{name: tmp, emptyDir: {}}]
      containers:
      - name: api
        image: ghcr.io/example/api:1.0.0
        args: [--port=8080]
        ports: [{name: http, containerPort: 8080, protocol: TCP}]
        env: [{name: A, value: b}, {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
        resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {memory: 128Mi}}
        readinessProbe: {httpGet: {path: /healthz, port: http}, periodSeconds: 5}
        volumeMounts: [{name: tmp, mountPath: /tmp}]
`;

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer, description: How big the widget is.}
              extra: {type: object, x-kubernetes-preserve-unknown-fields: true}
`;

describe('kubectl explain and field validation', () => {
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
    await createReadyCluster(fixture.server, 'schemas', 1);
    kubectl = await kubectlSession(found.path, fixture.server.kubeconfig('schemas', 'admin'));
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

  test('kubectl explain deployment.spec.replicas', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const out = await k(['explain', 'deployment.spec.replicas']);
    assert.match(out, /^GROUP:\s+apps\nKIND:\s+Deployment\nVERSION:\s+v1\n\nFIELD: replicas <integer>\n/);
    assert.match(
      out,
      /DESCRIPTION:\n\s+Number of desired pods\. This is a pointer to distinguish between explicit\n\s+zero and not specified\. Defaults to 1\./,
    );
    const spec = await k(['explain', 'deployment.spec']);
    assert.match(spec, /FIELD: spec <DeploymentSpec>/);
    assert.match(spec, /\n {2}selector\t<LabelSelector> -required-\n/);
    assert.match(spec, /\n {2}template\t<PodTemplateSpec> -required-\n/);
    const pod = await k(['explain', 'pods.spec.containers.image']);
    assert.match(pod, /KIND:\s+Pod\nVERSION:\s+v1\n\nFIELD: image <string>/);
    const missingField = await kubectl!.run(['explain', 'deployment.spec.nope']);
    assert.equal(missingField.code, 1);
    assert.match(missingField.stderr, /field "nope" does not exist/);
  });

  test('kubectl explain reads a CRD schema', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    await k(['apply', '-f', '-'], CRD);
    const out = await k(['explain', 'widgets.spec.size']);
    assert.match(out, /^GROUP:\s+example\.com\nKIND:\s+Widget\nVERSION:\s+v1\n\nFIELD: size <integer>/);
    assert.match(out, /How big the widget is\./);
  });

  test('kubectl apply --validate=strict refuses an unknown field on create, patch and server-side apply', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const typo = DEPLOYMENT.replace('replicas: 2', 'replicass: 2');
    const created = await kubectl!.run(['apply', '--validate=strict', '-f', '-'], { input: typo });
    assert.equal(created.code, 1);
    assert.equal(
      created.stderr.trim(),
      'Error from server (BadRequest): error when creating "STDIN": Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replicass"',
    );
    // Strict is kubectl's default; a valid manifest with many kinds of fields passes it.
    assert.match(await k(['apply', '-f', '-'], DEPLOYMENT), /deployment\.apps\/api created/);
    const nested = DEPLOYMENT.replace('args: [--port=8080]', 'args: [--port=8080]\n        imagee: x');
    const patched = await kubectl!.run(['apply', '-f', '-'], { input: nested });
    assert.equal(patched.code, 1);
    assert.match(
      patched.stderr,
      /error when patching "STDIN": strict decoding error: unknown field "spec\.template\.spec\.containers\[0\]\.imagee"/,
    );
    const ssa = await kubectl!.run(['apply', '--server-side', '-f', '-'], { input: nested });
    assert.equal(ssa.code, 1);
    assert.match(
      ssa.stderr,
      /Error from server \(BadRequest\): failed to create typed patch object \(apps\/v1, Kind=Deployment\) api: \.spec\.template\.spec\.containers\[name="api"\]\.imagee: field not declared in schema/,
    );
  });

  test('--validate=warn warns and applies; --validate=false applies silently', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const cm =
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: default}\ndata: {a: b}\nbogus: 1\n';
    const warned = await kubectl!.run(['apply', '--validate=warn', '-f', '-'], { input: cm });
    assert.equal(warned.code, 0, warned.stderr);
    assert.match(warned.stderr, /^Warning: unknown field "bogus"$/m);
    assert.match(warned.stdout, /configmap\/cfg created/);
    const silent = await kubectl!.run(['apply', '--validate=false', '-f', '-'], {
      input: cm.replace('a: b', 'a: c'),
    });
    assert.equal(silent.code, 0, silent.stderr);
    assert.equal(silent.stderr, '');
  });

  test('custom resources are validated against their CRD schema, preserved fields excepted', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const widget = (spec: string) =>
      `apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1, namespace: default}\nspec: ${spec}\n`;
    const bad = await kubectl!.run(['apply', '-f', '-'], { input: widget('{size: 3, colour: red}') });
    assert.equal(bad.code, 1);
    assert.match(
      bad.stderr,
      /error when creating "STDIN": Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "spec\.colour"/,
    );
    assert.match(
      await k(['apply', '-f', '-'], widget('{size: 3, extra: {anything: [1, 2]}}')),
      /widget\.example\.com\/w1 created/,
    );
  });

  test('/openapi/v3 lists every served group-version with a hashed URL', async (t) => {
    if (!requireOrSkip(t, 'kubectl', missing)) return;
    const index = JSON.parse(await k(['get', '--raw', '/openapi/v3'])) as {
      paths: Record<string, { serverRelativeURL: string }>;
    };
    assert.match(index.paths['api/v1']!.serverRelativeURL, /^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{32}$/);
    assert.ok(index.paths['apis/apps/v1']);
    assert.ok(index.paths['apis/example.com/v1'], 'the CRD group-version is listed');
    const apps = JSON.parse(await k(['get', '--raw', '/openapi/v3/apis/apps/v1'])) as {
      components: { schemas: Record<string, { 'x-kubernetes-group-version-kind'?: unknown[] }> };
    };
    assert.deepEqual(
      apps.components.schemas['io.k8s.api.apps.v1.Deployment']!['x-kubernetes-group-version-kind'],
      [{ group: 'apps', kind: 'Deployment', version: 'v1' }],
    );
  });

  test('the built-in documents are computed once and shared by every cluster', () => {
    const source = { crds: () => [] };
    const first = openApiV3Document(BUILTIN_RESOURCES, 'apps', 'v1', source, 'v1.33.2');
    const second = openApiV3Document(BUILTIN_RESOURCES, 'apps', 'v1', source, 'v1.33.2');
    assert.ok(first && first === second);
  });
});
