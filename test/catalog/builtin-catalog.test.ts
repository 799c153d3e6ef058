import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { builtinPacksDir, loadBuiltinCatalog } from '../../src/catalog/load.ts';
import type { Catalog } from '../../src/core/catalog.ts';
import type { LayerKind } from '../../src/core/model.ts';
import { isStrictSemver } from '../../src/core/semver.ts';
import { provePackRenders } from '../../src/render/prove.ts';
import { renderLayer, testRenderer } from '../support/render.ts';

describe('built-in pack catalog', () => {
  let catalog: Catalog;
  before(async () => {
    catalog = await loadBuiltinCatalog();
  });

  it('finds the packs/ folder from the source tree', async () => {
    const dir = builtinPacksDir();
    assert.ok(existsSync(join(dir, 'hello-universe', '1.2.0', 'pack.yaml')), dir);
  });

  it('loads and validates every built-in pack, each with a strict semver version', async () => {
    const packs = catalog.list();
    assert.ok(packs.length >= 20, `${packs.length} packs`);
    for (const pack of packs) {
      assert.ok(isStrictSemver(pack.version), `${pack.name}@${pack.version}`);
      assert.equal(pack.source, 'builtin');
      assert.ok(
        pack.displayName.length > 0 && pack.description.length > 0,
        `${pack.name}@${pack.version} describes itself`,
      );
      assert.match(pack.values, /^#/, `${pack.name}@${pack.version} values start with a comment`);
    }
  });

  it('ships the packs a realistic fleet needs, per layer', async () => {
    const byLayer = (layer: LayerKind) =>
      catalog
        .names()
        .filter((n) => catalog.list().find((p) => p.name === n)?.layer === layer)
        .sort();
    assert.deepEqual(byLayer('os'), ['ubuntu']);
    assert.deepEqual(byLayer('k8s'), ['k3s', 'kubernetes', 'rke2']);
    assert.deepEqual(byLayer('cni'), ['calico', 'cilium', 'flannel']);
    assert.deepEqual(byLayer('csi'), ['csi-hostpath']);
    assert.deepEqual(byLayer('addon'), ['hello-universe', 'ingress-nginx', 'metrics-server', 'prometheus']);
    assert.deepEqual(catalog.versions('ubuntu'), ['22.4.5', '24.4.1']);
    assert.equal(catalog.require('ubuntu', '22.4.5').displayName, 'Ubuntu 22.04.5 LTS');
    assert.deepEqual(catalog.versions('kubernetes'), ['1.29.14', '1.30.10', '1.31.6', '1.32.2']);
    assert.equal(catalog.versions('calico').length, 2);
    assert.equal(catalog.versions('csi-hostpath').length, 2);
    assert.deepEqual(catalog.versions('hello-universe'), ['1.2.0', '1.3.0']);
  });

  it('names the distribution of every k8s pack and of no other pack', async () => {
    for (const pack of catalog.list()) {
      if (pack.layer !== 'k8s') {
        assert.equal(pack.distribution, undefined, pack.name);
        continue;
      }
      const expected = { kubernetes: 'pxk', k3s: 'k3s', rke2: 'rke2' }[pack.name];
      assert.equal(pack.distribution, expected, `${pack.name}@${pack.version}`);
    }
    for (const name of ['k3s', 'rke2']) {
      const minors = new Set(catalog.versions(name).map((v) => v.split('.').slice(0, 2).join('.')));
      assert.ok(minors.size >= 2, `${name} offers several minors`);
    }
  });

  it('marks kubelet and control-plane settings as node-impacting, but not the cluster name', async () => {
    const pxk = catalog.require('kubernetes', '1.30.10');
    for (const path of [
      'kubeadmconfig.kubeletExtraArgs',
      'kubeadmconfig.apiServer.extraArgs',
      'kubeadmconfig.controllerManager',
    ]) {
      assert.ok(pxk.nodeImpactPaths.includes(path), path);
    }
    assert.ok(!pxk.nodeImpactPaths.some((p) => 'kubeadmconfig.clusterName'.startsWith(p)));
    for (const name of ['k3s', 'rke2']) {
      const pack = catalog.require(name, catalog.versions(name)[0]!);
      assert.ok(pack.nodeImpactPaths.includes('cluster.kubeletArgs'), name);
      assert.ok(!pack.nodeImpactPaths.some((p) => 'cluster.name'.startsWith(p)), name);
    }
    assert.ok(catalog.require('ubuntu', '24.4.1').nodeImpactPaths.length > 0);
    for (const pack of catalog.list().filter((p) => p.layer === 'addon'))
      assert.deepEqual(pack.nodeImpactPaths, []);
  });

  it('renders manifests only for network, storage and add-on packs, and keeps infra packs small', async () => {
    const ctx = { cluster: 'c', profile: 'p' };
    for (const pack of catalog.list()) {
      const objects = await renderLayer(pack, pack.values, ctx);
      if (pack.layer === 'os' || pack.layer === 'k8s') assert.equal(objects.length, 0, pack.name);
      else assert.ok(objects.length > 0, `${pack.name}@${pack.version} renders objects`);
      if (pack.layer === 'cni' || pack.layer === 'csi') {
        assert.ok(objects.length <= 3, `${pack.name} renders ${objects.length} objects`);
      }
    }
  });

  it('renders prometheus with a node-exporter DaemonSet and ingress-nginx with a LoadBalancer controller', async () => {
    const ctx = { cluster: 'c', profile: 'p' };
    const prom = catalog.require('prometheus', '2.55.1');
    assert.ok(
      (await renderLayer(prom, prom.values, ctx)).some(
        (o) => o.kind === 'DaemonSet' && o.metadata.name === 'node-exporter',
      ),
    );
    const ingress = catalog.require('ingress-nginx', '1.11.3');
    const service = (await renderLayer(ingress, ingress.values, ctx)).find((o) => o.kind === 'Service');
    assert.ok(service, 'ingress-nginx renders a Service');
    assert.equal((service.spec as { type: string }).type, 'LoadBalancer');
  });

  it('every pack renders in the sandbox with its defaults and with each preset', async () => {
    for (const pack of catalog.list()) await provePackRenders(pack, testRenderer);
  });

  it('gives every call its own catalog, so adding user packs to one does not leak into another', async () => {
    const other = await loadBuiltinCatalog();
    assert.notStrictEqual(other, catalog);
    assert.strictEqual(other.require('hello-universe', '1.2.0'), catalog.require('hello-universe', '1.2.0'));
  });
});
