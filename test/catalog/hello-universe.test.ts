import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import YAML from 'yaml';
import { loadBuiltinCatalog } from '../../src/catalog/load.ts';
import type { KubeObject, Pack } from '../../src/core/model.ts';
import { STRATA_LABELS } from '../../src/core/render.ts';
import { renderLayer } from '../support/render.ts';

/**
 * Returns the pack's default values with one preset enabled, built by hand (remove, then deep-merge add)
 * so this test does not depend on the text-preserving presets engine.
 */
function valuesWithPreset(pack: Pack, presetName: string): string {
  const preset = pack.presets.find((p) => p.name === presetName);
  assert.ok(preset, `preset ${presetName}`);
  const values = YAML.parse(pack.values) as Record<string, unknown>;
  assert.deepEqual(preset.remove, []);
  const merge = (target: Record<string, unknown>, add: Record<string, unknown>): Record<string, unknown> => {
    for (const [k, v] of Object.entries(add)) {
      const t = target[k];
      target[k] =
        t && typeof t === 'object' && !Array.isArray(t) && v && typeof v === 'object' && !Array.isArray(v)
          ? merge(t as Record<string, unknown>, v as Record<string, unknown>)
          : v;
    }
    return target;
  };
  return YAML.stringify(merge(values, YAML.parse(preset.add) as Record<string, unknown>));
}

function summary(objects: KubeObject[]): string[] {
  return objects.map((o) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`);
}

/** The fields of rendered Deployments, Services and bindings these tests read. */
interface Container {
  name: string;
  image: string;
  readinessProbe?: { httpGet: unknown };
  livenessProbe?: { httpGet: unknown };
}
interface RenderedShape extends KubeObject {
  spec: { type?: string; ports: Array<{ port: number }>; template: { spec: { containers: Container[] } } };
  subjects?: unknown;
}

function find(objects: KubeObject[], kind: string, name: string): RenderedShape {
  const obj = objects.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(obj, `${kind} ${name} is rendered`);
  return obj as RenderedShape;
}

function containerNames(deployment: RenderedShape): string[] {
  return deployment.spec.template.spec.containers.map((c) => c.name);
}

describe('hello-universe pack', () => {
  const ctx = { cluster: 'cluster-update-deletion', profile: 'hello-universe-aws' };
  let pack: Pack;
  before(async () => {
    pack = (await loadBuiltinCatalog()).require('hello-universe', '1.2.0');
  });

  it('offers the API preset enable-api in group backend', async () => {
    assert.deepEqual(
      pack.presets.map((p) => ({ name: p.name, group: p.group })),
      [{ name: 'enable-api', group: 'backend' }],
    );
    assert.equal(pack.layer, 'addon');
    assert.deepEqual(pack.nodeImpactPaths, []);
  });

  it('with the API preset off renders exactly the namespace, hello-universe-deployment and its LoadBalancer', async () => {
    const objects = await renderLayer(pack, pack.values, ctx);
    assert.deepEqual(summary(objects), [
      'Namespace /hello-universe',
      'Deployment hello-universe/hello-universe-deployment',
      'Service hello-universe/hello-universe-service',
    ]);
    assert.deepEqual(containerNames(find(objects, 'Deployment', 'hello-universe-deployment')), [
      'hello-universe',
    ]);
    const service = find(objects, 'Service', 'hello-universe-service');
    assert.equal(service.spec.type, 'LoadBalancer');
    assert.deepEqual(
      service.spec.ports.map((p) => p.port),
      [8080],
    );
  });

  it('with the API preset on renders the three-tier app and no hello-universe-deployment', async () => {
    const objects = await renderLayer(pack, valuesWithPreset(pack, 'enable-api'), ctx);
    assert.deepEqual(summary(objects), [
      'Namespace /hello-universe',
      'ClusterRole /hello-universe-role',
      'ServiceAccount hello-universe/hello-universe-sa',
      'ClusterRoleBinding /hello-universe-binding',
      'Secret hello-universe/db-password',
      'Secret hello-universe/auth-token',
      'Deployment hello-universe/postgres',
      'Service hello-universe/postgres',
      'Deployment hello-universe/api',
      'Service hello-universe/api',
      'Deployment hello-universe/ui',
      'Service hello-universe/ui',
    ]);
    assert.ok(!objects.some((o) => o.metadata.name === 'hello-universe-deployment'));

    const ports = (name: string) => find(objects, 'Service', name).spec.ports.map((p) => p.port);
    assert.deepEqual(ports('postgres'), [5432]);
    assert.deepEqual(ports('api'), [3000]);
    assert.deepEqual(ports('ui'), [8080]);
    assert.equal(find(objects, 'Service', 'ui').spec.type, 'LoadBalancer');

    for (const name of ['postgres', 'api', 'ui']) {
      assert.deepEqual(containerNames(find(objects, 'Deployment', name)), [name]);
    }
    const api = find(objects, 'Deployment', 'api').spec.template.spec.containers[0]!;
    for (const probe of [api.readinessProbe, api.livenessProbe]) {
      assert.deepEqual(probe?.httpGet, { path: '/api/v1/health', port: 3000 });
    }
    const binding = find(objects, 'ClusterRoleBinding', 'hello-universe-binding');
    assert.deepEqual(binding.subjects, [
      { kind: 'ServiceAccount', name: 'hello-universe-sa', namespace: 'hello-universe' },
    ]);
  });

  it('labels every object with cluster, profile, layer and pack', async () => {
    for (const values of [pack.values, valuesWithPreset(pack, 'enable-api')]) {
      for (const obj of await renderLayer(pack, values, ctx)) {
        assert.deepEqual(
          [
            STRATA_LABELS.managedBy,
            STRATA_LABELS.cluster,
            STRATA_LABELS.profile,
            STRATA_LABELS.layer,
            STRATA_LABELS.pack,
          ].map((k) => obj.metadata.labels?.[k]),
          ['strata', 'cluster-update-deletion', 'hello-universe-aws', 'addon', 'hello-universe'],
          `${obj.kind} ${obj.metadata.name}`,
        );
      }
    }
  });

  it('renders the same objects under 1.3.0, with newer images', async () => {
    const next = (await loadBuiltinCatalog()).require('hello-universe', '1.3.0');
    for (const build of [(p: Pack) => p.values, (p: Pack) => valuesWithPreset(p, 'enable-api')]) {
      const before = await renderLayer(pack, build(pack), ctx);
      const after = await renderLayer(next, build(next), ctx);
      assert.deepEqual(summary(after), summary(before));
    }
    const image = find(await renderLayer(next, next.values, ctx), 'Deployment', 'hello-universe-deployment')
      .spec.template.spec.containers[0]!.image;
    assert.equal(image, 'ghcr.io/spectrocloud/hello-universe:1.3.0');
  });
});
