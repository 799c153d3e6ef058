import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStrataError } from '../../src/core/errors.ts';
import { hashObject, isClusterScoped, refKey, refOf } from '../../src/core/objects.ts';
import { parsePack } from '../../src/core/pack.ts';
import { STRATA_LABELS, toLabelValue } from '../../src/core/render.ts';
import { renderLayer } from '../support/render.ts';

const demo = parsePack(
  {
    manifest: 'name: demo\nversion: 1.0.0\nlayer: addon\ndisplayName: Demo\n',
    values: '# Demo\nns: demo\nreplicas: 2\nextra: false\n',
    templates: {
      '01-namespace.yaml':
        'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {{ values.ns }}\n  namespace: ignored\n',
      '02-app.yaml': [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        '  name: app',
        '  namespace: {{ values.ns }}',
        '  labels:',
        '    app: demo',
        '    strata.io/cluster: spoofed',
        'spec:',
        '  replicas: {{ values.replicas }}',
        '{% if values.extra %}',
        '---',
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata:',
        '  name: extra',
        '  namespace: {{ values.ns }}',
        'data:',
        '  profile: {{ profile }}',
        '  pack: {{ pack.name }}@{{ pack.version }}',
        '{% endif %}',
        '',
      ].join('\n'),
    },
  },
  'user',
);

describe('renderLayer', () => {
  const ctx = { cluster: 'edge-01', profile: 'retail' };

  it('renders objects in template order with Strata labels on each', async () => {
    const objects = await renderLayer(demo, demo.values, ctx);
    assert.deepEqual(
      objects.map((o) => `${o.kind}/${o.metadata.name}`),
      ['Namespace/demo', 'Deployment/app'],
    );
    for (const obj of objects) {
      assert.deepEqual(
        {
          managedBy: obj.metadata.labels?.[STRATA_LABELS.managedBy],
          cluster: obj.metadata.labels?.[STRATA_LABELS.cluster],
          profile: obj.metadata.labels?.[STRATA_LABELS.profile],
          layer: obj.metadata.labels?.[STRATA_LABELS.layer],
          pack: obj.metadata.labels?.[STRATA_LABELS.pack],
        },
        { managedBy: 'strata', cluster: 'edge-01', profile: 'retail', layer: 'addon', pack: 'demo' },
      );
    }
    // The template's own labels stay; Strata's labels win over a template that sets one of them.
    assert.equal(objects[1]!.metadata.labels?.app, 'demo');
    assert.equal(objects[1]!.metadata.labels?.[STRATA_LABELS.cluster], 'edge-01');
  });

  it('drops the namespace of cluster-scoped kinds and keeps the one the template sets', async () => {
    const [ns, deployment] = await renderLayer(demo, demo.values, ctx);
    assert.equal(ns!.metadata.namespace, undefined);
    assert.equal(deployment!.metadata.namespace, 'demo');
  });

  it('renders from the values it is given, with profile and pack variables (no cluster: renders are shared)', async () => {
    const objects = await renderLayer(demo, 'ns: shop\nreplicas: 5\nextra: true\n', ctx);
    assert.deepEqual(
      objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`),
      ['Namespace//shop', 'Deployment/shop/app', 'ConfigMap/shop/extra'],
    );
    assert.deepEqual((objects[1]!.spec as { replicas: number }).replicas, 5);
    assert.deepEqual(objects[2]!.data, { profile: 'retail', pack: 'demo@1.0.0' });
  });

  it('is deterministic: the same input renders byte-identical objects', async () => {
    const a = await renderLayer(demo, demo.values, ctx);
    const b = await renderLayer(demo, demo.values, ctx);
    assert.equal(JSON.stringify(a), JSON.stringify(b));
    assert.deepEqual(a.map(hashObject), b.map(hashObject));
    assert.notStrictEqual(a[0], b[0]);
  });

  it('refuses values that break a template with TemplateRenderFailed naming pack, template and line', async () => {
    await assert.rejects(
      () => renderLayer(demo, 'ns: shop\nextra: false\n', ctx),
      (error: unknown) =>
        isStrataError(error) &&
        error.code === 'TemplateRenderFailed' &&
        error.details.template === '02-app.yaml' &&
        error.details.line === 10 &&
        /^Pack demo@1\.0\.0: template 02-app\.yaml does not render at line 10/.test(error.message),
    );
  });

  it('refuses values that are not YAML with InvalidYaml', async () => {
    await assert.rejects(() => renderLayer(demo, 'ns: [shop\n', ctx), { code: 'InvalidYaml' });
    await assert.rejects(() => renderLayer(demo, '- a\n', ctx), { code: 'InvalidYaml' });
  });

  it('refuses values that render an object without a name', async () => {
    await assert.rejects(
      () => renderLayer(demo, 'ns: ""\nreplicas: 1\nextra: false\n', ctx),
      (error: unknown) =>
        isStrataError(error) &&
        error.code === 'TemplateRenderFailed' &&
        error.details.field === 'metadata.name',
    );
  });

  it('refuses a render that produces the same object twice', async () => {
    const twice = parsePack(
      {
        manifest: 'name: twice\nversion: 1.0.0\nlayer: addon\ndisplayName: Twice\n',
        values: 'a: cm\nb: other\n',
        templates: {
          'a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ values.a }}\n  namespace: x\n',
          'b.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ values.b }}\n  namespace: x\n',
        },
      },
      'user',
    );
    await assert.rejects(
      () => renderLayer(twice, 'a: cm\nb: cm\n', ctx),
      (error: unknown) =>
        isStrataError(error) &&
        /renders ConfigMap x\/cm a second time \(first in a\.yaml\)/.test(error.message),
    );
  });

  it('labels with sanitised values when a cluster or profile name is not a valid label value', async () => {
    const [obj] = await renderLayer(demo, demo.values, {
      cluster: `${'a'.repeat(70)}`,
      profile: 'Team Profile/1',
    });
    const cluster = obj!.metadata.labels?.[STRATA_LABELS.cluster];
    assert.equal(cluster?.length, 63);
    assert.equal(obj!.metadata.labels?.[STRATA_LABELS.profile], 'Team-Profile-1');
  });
});

describe('toLabelValue', () => {
  it('keeps valid label values as they are', async () => {
    for (const v of ['', 'a', 'prod-eu_1.2', 'A'.repeat(63)]) assert.equal(toLabelValue(v), v);
  });

  it('makes any string a valid label value, keeping long names distinct', async () => {
    const valid = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
    const long1 = `${'x'.repeat(60)}-one`;
    const long2 = `${'x'.repeat(60)}-two`;
    for (const v of ['-lead', 'trail-', 'sp ace', 'ünï', long1, '@@@']) {
      const label = toLabelValue(v);
      assert.ok(label.length <= 63 && valid.test(label), `${v} → ${label}`);
    }
    assert.notEqual(toLabelValue(long1), toLabelValue(long2));
    assert.equal(toLabelValue('-lead'), 'lead');
  });
});

describe('object identity', () => {
  it('keys objects by apiVersion/kind/namespace/name, with no namespace for cluster-scoped kinds', async () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api', namespace: 'hu' },
    };
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'r', namespace: 'x' },
    };
    assert.equal(refKey(refOf(deployment)), 'apps/v1/Deployment/hu/api');
    assert.deepEqual(refOf(role), {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      namespace: '',
      name: 'r',
    });
    assert.ok(
      isClusterScoped('Namespace') &&
        isClusterScoped('CustomResourceDefinition') &&
        isClusterScoped('StorageClass'),
    );
    assert.ok(!isClusterScoped('Deployment') && !isClusterScoped('Secret') && !isClusterScoped('Widget'));
  });

  it('hashes objects by content, independent of key order', async () => {
    const a = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'n' },
      data: { x: '1', y: '2' },
    };
    const b = {
      data: { y: '2', x: '1' },
      metadata: { namespace: 'n', name: 'c' },
      kind: 'ConfigMap',
      apiVersion: 'v1',
    };
    assert.equal(hashObject(a), hashObject(b));
    assert.match(hashObject(a), /^[0-9a-f]{64}$/);
    assert.notEqual(hashObject(a), hashObject({ ...a, data: { x: '1', y: '3' } }));
  });
});
