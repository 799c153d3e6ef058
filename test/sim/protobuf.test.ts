/**
 * The Kubernetes protobuf body decoder: messages built and encoded here with protobufjs (as kubectl's Go
 * encoder lays them out: plain scalars always written, zero times as empty messages) come back as the JSON
 * Kubernetes would have sent; kinds and fields outside the schema are refused; the simulated API server takes
 * such bodies on create and answers JSON even when protobuf is preferred.
 */
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, describe, test } from 'node:test';
import protobuf from 'protobufjs';
import { parse as parseYaml } from 'yaml';
import {
  decodeKubeProtobuf,
  KUBE_PROTOBUF_MAGIC,
  KubeProtobufError,
  kubeProtoRoot,
} from '../../src/sim/protobuf.ts';
import type { SimFixture } from './sim-fixture.ts';
import { startFixture } from './sim-fixture.ts';

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';

/** Encodes `object` as the typed message `typeName`, wrapped in magic + runtime.Unknown. */
function envelope(
  apiVersion: string,
  kind: string,
  typeName: string,
  object: Record<string, unknown>,
): Buffer {
  const root = kubeProtoRoot();
  const type = root.lookupType(typeName);
  const raw = type.encode(type.fromObject(object)).finish();
  return wrap(apiVersion, kind, raw);
}

function wrap(apiVersion: string, kind: string, raw: Uint8Array): Buffer {
  const unknown = kubeProtoRoot().lookupType('k8s.io.apimachinery.pkg.runtime.Unknown');
  const bytes = unknown
    .encode(unknown.fromObject({ typeMeta: { apiVersion, kind }, raw, contentEncoding: '', contentType: '' }))
    .finish();
  return Buffer.concat([KUBE_PROTOBUF_MAGIC, bytes]);
}

/** ObjectMeta as Go writes it: every plain string present even when empty, a zero creation time. */
function goMeta(extra: Record<string, unknown>): Record<string, unknown> {
  return {
    name: '',
    generateName: '',
    namespace: '',
    selfLink: '',
    uid: '',
    resourceVersion: '',
    generation: 0,
    creationTimestamp: {},
    ...extra,
  };
}

describe('decodeKubeProtobuf', () => {
  test('turns a Deployment into the JSON kubectl would send, keeping an explicit replicas: 0', () => {
    const body = envelope('apps/v1', 'Deployment', 'k8s.io.api.apps.v1.Deployment', {
      metadata: goMeta({ name: 'web', namespace: 'shop', labels: { app: 'web' }, annotations: { a: 'b' } }),
      spec: {
        replicas: 0,
        minReadySeconds: 0,
        selector: { matchLabels: { app: 'web' } },
        strategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxSurge: { type: 1, strVal: '25%' }, maxUnavailable: { type: 0, intVal: 1 } },
        },
        template: {
          metadata: goMeta({ labels: { app: 'web' } }),
          spec: {
            restartPolicy: '',
            containers: [
              {
                name: 'nginx',
                image: 'nginx:1.27',
                command: ['nginx'],
                args: ['-g', 'daemon off;'],
                ports: [{ containerPort: 8080, protocol: 'TCP', hostPort: 0, name: '' }],
                env: [
                  { name: 'MODE', value: 'prod' },
                  {
                    name: 'TOKEN',
                    value: '',
                    valueFrom: { secretKeyRef: { localObjectReference: { name: 'creds' }, key: 'token' } },
                  },
                ],
                resources: {
                  limits: { cpu: { string: '500m' }, memory: { string: '256Mi' } },
                  requests: { cpu: { string: '100m' } },
                },
                readinessProbe: {
                  handler: { httpGet: { path: '/healthz', port: { type: 1, strVal: 'http' } } },
                  periodSeconds: 5,
                },
              },
            ],
            volumes: [
              {
                name: 'conf',
                volumeSource: { configMap: { localObjectReference: { name: 'web-conf' }, defaultMode: 420 } },
              },
            ],
            automountServiceAccountToken: false,
          },
        },
      },
      status: { replicas: 0, readyReplicas: 0 },
    });
    assert.deepEqual(decodeKubeProtobuf(body), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'web',
        namespace: 'shop',
        creationTimestamp: null,
        labels: { app: 'web' },
        annotations: { a: 'b' },
      },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { creationTimestamp: null, labels: { app: 'web' } },
          spec: {
            volumes: [{ name: 'conf', configMap: { name: 'web-conf', defaultMode: 420 } }],
            containers: [
              {
                name: 'nginx',
                image: 'nginx:1.27',
                command: ['nginx'],
                args: ['-g', 'daemon off;'],
                ports: [{ containerPort: 8080, protocol: 'TCP' }],
                env: [
                  { name: 'MODE', value: 'prod' },
                  { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'creds', key: 'token' } } },
                ],
                resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m' } },
                readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 5 },
              },
            ],
            automountServiceAccountToken: false,
          },
        },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: '25%' } },
      },
      status: {},
    });
  });

  test('renders Secret bytes as base64, times as RFC 3339 and managed fields as JSON', () => {
    const body = envelope('v1', 'Secret', 'k8s.io.api.core.v1.Secret', {
      metadata: goMeta({
        name: 's1',
        creationTimestamp: { seconds: 1_700_000_000 },
        managedFields: [
          {
            manager: 'kubectl',
            operation: 'Update',
            apiVersion: 'v1',
            time: { seconds: 1_700_000_001 },
            fieldsType: 'FieldsV1',
            fieldsV1: { Raw: Buffer.from('{"f:data":{"f:x":{}}}') },
          },
        ],
      }),
      data: { x: Buffer.from('y'), bin: Buffer.from([0, 255, 16]) },
      type: 'Opaque',
    });
    const secret = decodeKubeProtobuf(body);
    assert.deepEqual(secret['data'], { x: 'eQ==', bin: 'AP8Q' });
    assert.equal(secret['type'], 'Opaque');
    const meta = secret['metadata'] as Record<string, unknown>;
    assert.equal(meta['creationTimestamp'], '2023-11-14T22:13:20Z');
    assert.deepEqual(meta['managedFields'], [
      {
        manager: 'kubectl',
        operation: 'Update',
        apiVersion: 'v1',
        time: '2023-11-14T22:13:21Z',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': { 'f:x': {} } },
      },
    ]);
  });

  test('decodes the RBAC, policy, networking, scheduling and autoscaling kinds kubectl creates', () => {
    const binding = decodeKubeProtobuf(
      envelope('rbac.authorization.k8s.io/v1', 'RoleBinding', 'k8s.io.api.rbac.v1.RoleBinding', {
        metadata: goMeta({ name: 'rb' }),
        subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice', namespace: '' }],
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
      }),
    );
    assert.deepEqual(binding['subjects'], [
      { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice' },
    ]);
    const pdb = decodeKubeProtobuf(
      envelope('policy/v1', 'PodDisruptionBudget', 'k8s.io.api.policy.v1.PodDisruptionBudget', {
        metadata: goMeta({ name: 'p' }),
        spec: { minAvailable: { type: 1, strVal: '50%' }, selector: { matchLabels: { app: 'web' } } },
      }),
    );
    assert.deepEqual(pdb['spec'], { minAvailable: '50%', selector: { matchLabels: { app: 'web' } } });
    const ingress = decodeKubeProtobuf(
      envelope('networking.k8s.io/v1', 'Ingress', 'k8s.io.api.networking.v1.Ingress', {
        metadata: goMeta({ name: 'i' }),
        spec: {
          rules: [
            {
              host: 'a.example',
              ingressRuleValue: {
                http: {
                  paths: [
                    {
                      path: '/',
                      pathType: 'Exact',
                      backend: { service: { name: 'web', port: { number: 80 } } },
                    },
                  ],
                },
              },
            },
          ],
        },
      }),
    );
    assert.deepEqual(ingress['spec'], {
      rules: [
        {
          host: 'a.example',
          http: {
            paths: [
              { path: '/', pathType: 'Exact', backend: { service: { name: 'web', port: { number: 80 } } } },
            ],
          },
        },
      ],
    });
    const pc = decodeKubeProtobuf(
      envelope('scheduling.k8s.io/v1', 'PriorityClass', 'k8s.io.api.scheduling.v1.PriorityClass', {
        metadata: goMeta({ name: 'zero' }),
        value: 0,
        globalDefault: false,
      }),
    );
    assert.equal(pc['value'], 0);
    assert.equal('globalDefault' in pc, false);
    const hpa = decodeKubeProtobuf(
      envelope(
        'autoscaling/v2',
        'HorizontalPodAutoscaler',
        'k8s.io.api.autoscaling.v2.HorizontalPodAutoscaler',
        {
          metadata: goMeta({ name: 'h' }),
          spec: {
            scaleTargetRef: { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' },
            minReplicas: 1,
            maxReplicas: 4,
            metrics: [
              {
                type: 'Resource',
                resource: {
                  name: 'memory',
                  target: { type: 'AverageValue', averageValue: { string: '1Gi' } },
                },
              },
            ],
          },
        },
      ),
    );
    assert.deepEqual((hpa['spec'] as Record<string, unknown>)['metrics'], [
      {
        type: 'Resource',
        resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '1Gi' } },
      },
    ]);
  });

  test('reads DeleteOptions under any group version, keeping gracePeriodSeconds: 0', () => {
    const body = envelope('apps/v1', 'DeleteOptions', `${META}.DeleteOptions`, {
      gracePeriodSeconds: 0,
      propagationPolicy: 'Foreground',
      dryRun: ['All'],
    });
    assert.deepEqual(decodeKubeProtobuf(body), {
      apiVersion: 'apps/v1',
      kind: 'DeleteOptions',
      gracePeriodSeconds: 0,
      propagationPolicy: 'Foreground',
      dryRun: ['All'],
    });
  });

  test('refuses a kind outside the schema and a field it does not know, naming them', () => {
    const podTemplate = wrap('v1', 'PodTemplate', new Uint8Array());
    assert.throws(
      () => decodeKubeProtobuf(podTemplate),
      (e: unknown) => e instanceof KubeProtobufError && e.unsupported && /PodTemplate \(v1\)/.test(e.message),
    );
    const part = wrap('v1', 'PodSpec', new Uint8Array());
    assert.throws(
      () => decodeKubeProtobuf(part),
      (e: unknown) => e instanceof KubeProtobufError && e.unsupported && /PodSpec/.test(e.message),
    );
    const crd = wrap('apiextensions.k8s.io/v1', 'CustomResourceDefinition', new Uint8Array());
    assert.throws(
      () => decodeKubeProtobuf(crd),
      (e: unknown) => e instanceof KubeProtobufError && e.unsupported,
    );

    // A ConfigMap whose ObjectMeta carries field 99, which the schema does not describe.
    const meta = protobuf.Writer.create()
      .uint32((1 << 3) | 2)
      .string('cm')
      .uint32((99 << 3) | 0)
      .uint32(7)
      .finish();
    const raw = protobuf.Writer.create()
      .uint32((1 << 3) | 2)
      .bytes(meta)
      .finish();
    assert.throws(
      () => decodeKubeProtobuf(wrap('v1', 'ConfigMap', raw)),
      (e: unknown) =>
        e instanceof KubeProtobufError &&
        e.unsupported &&
        /field 99 of .*meta\.v1\.ObjectMeta/.test(e.message),
    );
  });

  test('refuses a body without the k8s magic or with truncated bytes as malformed', () => {
    assert.throws(
      () => decodeKubeProtobuf(Buffer.from('{"kind":"ConfigMap"}')),
      (e: unknown) => e instanceof KubeProtobufError && !e.unsupported,
    );
    const good = envelope('v1', 'ConfigMap', 'k8s.io.api.core.v1.ConfigMap', {
      metadata: goMeta({ name: 'x' }),
    });
    assert.throws(
      () => decodeKubeProtobuf(good.subarray(0, good.length - 3)),
      (e: unknown) => e instanceof KubeProtobufError && !e.unsupported,
    );
  });

  test('embeds raw objects of a List whether they are JSON or nested protobuf', () => {
    const nested = envelope('v1', 'ServiceAccount', 'k8s.io.api.core.v1.ServiceAccount', {
      metadata: goMeta({ name: 'robot' }),
      automountServiceAccountToken: false,
    });
    const body = envelope('v1', 'List', 'k8s.io.api.core.v1.List', {
      metadata: { resourceVersion: '', continue: '' },
      items: [
        { raw: Buffer.from('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"j"}}') },
        { raw: nested },
      ],
    });
    assert.deepEqual(decodeKubeProtobuf(body), {
      apiVersion: 'v1',
      kind: 'List',
      metadata: {},
      items: [
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'j' } },
        {
          apiVersion: 'v1',
          kind: 'ServiceAccount',
          metadata: { name: 'robot', creationTimestamp: null },
          automountServiceAccountToken: false,
        },
      ],
    });
  });
});

describe('the simulated API server with protobuf bodies', () => {
  let fixture: SimFixture | undefined;
  let server = '';
  let ca = '';
  let token = '';

  before(async () => {
    fixture = await startFixture();
    await fixture.server.infra.createCluster('pb');
    const config = parseYaml(fixture.server.kubeconfig('pb', 'admin')) as {
      clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
      users: { user: { token: string } }[];
    };
    server = config.clusters[0]!.cluster.server;
    ca = Buffer.from(config.clusters[0]!.cluster['certificate-authority-data'], 'base64').toString();
    token = config.users[0]!.user.token;
  });

  after(async () => {
    await fixture?.close();
  });

  const post = (path: string, body: Buffer, accept = 'application/vnd.kubernetes.protobuf, */*') =>
    // biome-ignore lint/suspicious/noExplicitAny: the server's JSON answer is walked by path in the assertions.
    new Promise<{ status: number; type: string; json: Record<string, any> }>((resolve, reject) => {
      const req = request(
        `${server}${path}`,
        {
          method: 'POST',
          ca,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/vnd.kubernetes.protobuf',
            accept,
            'content-length': body.length,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              type: String(res.headers['content-type']),
              json: JSON.parse(Buffer.concat(chunks).toString()),
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  test('creates a ConfigMap from a protobuf body and answers JSON although protobuf is preferred', async () => {
    const body = envelope('v1', 'ConfigMap', 'k8s.io.api.core.v1.ConfigMap', {
      metadata: goMeta({ name: 'from-proto', labels: { team: 'a' } }),
      data: { 'app.conf': 'port=80\n' },
      binaryData: { blob: Buffer.from([1, 2, 3]) },
    });
    const created = await post('/api/v1/namespaces/default/configmaps', body);
    assert.equal(created.status, 201);
    assert.match(created.type, /application\/json/);
    assert.equal(created.json['metadata']['name'], 'from-proto');
    assert.ok(created.json['metadata']['uid']);
    assert.match(created.json['metadata']['creationTimestamp'], /^\d{4}-\d\d-\d\dT/);
    assert.deepEqual(created.json['data'], { 'app.conf': 'port=80\n' });
    assert.deepEqual(created.json['binaryData'], { blob: 'AQID' });
    assert.deepEqual(created.json['metadata']['labels'], { team: 'a' });
  });

  test('answers 415 with the usual message for a kind the decoder does not cover', async () => {
    const answer = await post(
      '/api/v1/namespaces/default/configmaps',
      wrap('v1', 'PodTemplate', new Uint8Array()),
    );
    assert.equal(answer.status, 415);
    assert.equal(answer.json['reason'], 'UnsupportedMediaType');
    assert.ok(
      String(answer.json['message']).startsWith(
        'the body of the request was in an unknown format (application/vnd.kubernetes.protobuf) - accepted media types include: application/json, application/yaml,',
      ),
    );
    assert.match(String(answer.json['message']), /PodTemplate/);
  });

  test('answers 400 for a protobuf body without the k8s magic', async () => {
    const answer = await post('/api/v1/namespaces/default/configmaps', Buffer.from('not protobuf'));
    assert.equal(answer.status, 400);
    assert.match(String(answer.json['message']), /not valid protobuf/);
  });
});
