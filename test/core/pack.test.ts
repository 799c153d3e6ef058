import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStrataError, type StrataError } from '../../src/core/errors.ts';
import { type PackFiles, parsePack } from '../../src/core/pack.ts';
import { addonFiles } from '../support/pack-files.ts';

function k8sManifest(extra: string): string {
  return ['name: kube', 'version: 1.30.1', 'layer: k8s', 'displayName: Kube', extra, ''].join('\n');
}

/** Returns the StrataError `fn` throws, failing the test when it throws nothing or something else. */
function errorOf(fn: () => unknown): StrataError {
  try {
    fn();
  } catch (error) {
    if (isStrataError(error)) return error;
    throw error;
  }
  assert.fail('expected a StrataError');
}

describe('parsePack', () => {
  it('accepts a valid add-on pack and keeps its values text with comments', () => {
    const pack = parsePack(addonFiles(), 'user');
    assert.equal(pack.name, 'demo');
    assert.equal(pack.version, '1.0.0');
    assert.equal(pack.layer, 'addon');
    assert.equal(pack.source, 'user');
    assert.equal(pack.distribution, undefined);
    assert.match(pack.values, /# Pods to run\./);
    assert.deepEqual(pack.presets, [
      {
        name: 'big',
        displayName: 'Big',
        group: 'size',
        add: 'app:\n  replicas: 5\n',
        remove: ['app.replicas'],
      },
    ]);
    assert.deepEqual(
      pack.manifests.map((m) => m.name),
      ['01-deployment.yaml'],
    );
  });

  it('orders templates by file name, which is the order objects render in', () => {
    const base = addonFiles().templates['01-deployment.yaml']!;
    const pack = parsePack(
      addonFiles({
        templates: {
          'b.yaml': base.replace('{{ values.app.name }}', 'b'),
          'a.yaml': base.replace('{{ values.app.name }}', 'a'),
        },
      }),
      'user',
    );
    assert.deepEqual(
      pack.manifests.map((m) => m.name),
      ['a.yaml', 'b.yaml'],
    );
  });

  it('refuses a version that is not strict semver with InvalidSemver', () => {
    for (const version of ['v1.2.3', '1.2', '2.2.2.develop']) {
      const error = errorOf(() =>
        parsePack(
          addonFiles({ manifest: addonFiles().manifest.replace('version: 1.0.0', `version: ${version}`) }),
          'user',
        ),
      );
      assert.equal(error.code, 'InvalidSemver', version);
      assert.match(error.message, /^Pack demo@.*: version must be a strict semantic version/);
      assert.equal(error.details.field, 'version');
    }
  });

  it('refuses an unknown layer, naming the field', () => {
    const error = errorOf(() =>
      parsePack(
        addonFiles({ manifest: addonFiles().manifest.replace('layer: addon', 'layer: storage') }),
        'user',
      ),
    );
    assert.equal(error.code, 'PackInvalid');
    assert.match(error.message, /Pack demo@1\.0\.0: layer: layer must be one of os, k8s, cni, csi, addon/);
    assert.equal(error.details.field, 'layer');
  });

  it('refuses an unknown manifest field (a typo would otherwise be ignored)', () => {
    const error = errorOf(() =>
      parsePack(
        addonFiles({ manifest: addonFiles().manifest.replace('nodeImpactPaths', 'nodeImpactPath') }),
        'user',
      ),
    );
    assert.equal(error.code, 'PackInvalid');
    assert.match(error.message, /nodeImpactPath/);
  });

  it('requires a distribution on k8s packs', () => {
    const error = errorOf(() =>
      parsePack({ manifest: k8sManifest(''), values: 'kubelet: {}\n', templates: {} }, 'user'),
    );
    assert.equal(error.code, 'PackInvalid');
    assert.equal(error.details.field, 'distribution');
    assert.match(
      error.message,
      /Pack kube@1\.30\.1: a k8s pack must name its distribution \(pxk, k3s, rke2\)/,
    );
  });

  it('refuses an unknown distribution', () => {
    const error = errorOf(() =>
      parsePack({ manifest: k8sManifest('distribution: openshift'), values: '', templates: {} }, 'user'),
    );
    assert.equal(error.code, 'PackInvalid');
    assert.equal(error.details.field, 'distribution');
  });

  it('refuses a distribution on a pack that is not k8s', () => {
    const error = errorOf(() =>
      parsePack(addonFiles({ manifest: `${addonFiles().manifest}distribution: k3s\n` }), 'user'),
    );
    assert.equal(error.code, 'PackInvalid');
    assert.equal(error.details.field, 'distribution');
    assert.match(error.message, /distribution is for k8s packs only; this is a addon pack/);
  });

  it('accepts a k8s pack with its distribution and node-impact paths that exist', () => {
    const pack = parsePack(
      {
        manifest: k8sManifest(
          'distribution: k3s\nnodeImpactPaths:\n  - cluster.kubeletArgs\n  - cluster.args.0',
        ),
        values: 'cluster:\n  name: x\n  kubeletArgs: []\n  args: [a]\n',
        templates: {},
      },
      'builtin',
    );
    assert.equal(pack.distribution, 'k3s');
    assert.deepEqual(pack.nodeImpactPaths, ['cluster.kubeletArgs', 'cluster.args.0']);
  });

  it('refuses a node-impact path that does not exist in the defaults', () => {
    const error = errorOf(() =>
      parsePack(
        {
          manifest: k8sManifest('distribution: pxk\nnodeImpactPaths:\n  - kubeadmconfig.kubeletExtraArgs'),
          values: 'kubeadmconfig:\n  clusterName: x\n',
          templates: {},
        },
        'user',
      ),
    );
    assert.equal(error.code, 'PackInvalid');
    assert.equal(error.details.field, 'nodeImpactPaths[0]');
    assert.match(
      error.message,
      /node-impact path 'kubeadmconfig\.kubeletExtraArgs' does not exist in the default values/,
    );
  });

  it('refuses a preset that removes a path missing from the defaults', () => {
    const error = errorOf(() =>
      parsePack(
        addonFiles({ manifest: addonFiles().manifest.replace('- app.replicas', '- app.replica') }),
        'user',
      ),
    );
    assert.equal(error.code, 'PackInvalid');
    assert.equal(error.details.field, 'presets[0].remove[0]');
    assert.match(
      error.message,
      /preset 'big' removes 'app\.replica', which does not exist in the default values/,
    );
  });

  it('refuses a preset whose add is not a YAML mapping', () => {
    const manifest = addonFiles().manifest.replace(
      '      app:\n        replicas: 5\n',
      '      - one\n      - two\n',
    );
    const error = errorOf(() => parsePack(addonFiles({ manifest }), 'user'));
    assert.equal(error.code, 'PackInvalid');
    assert.equal(error.details.field, 'presets[0].add');
    assert.match(error.message, /preset big add must be a YAML mapping/);
  });

  it('refuses a preset without a group', () => {
    const error = errorOf(() =>
      parsePack(addonFiles({ manifest: addonFiles().manifest.replace('    group: size\n', '') }), 'user'),
    );
    assert.equal(error.code, 'PackInvalid');
    assert.equal(error.details.field, 'presets.0.group');
    assert.match(error.message, /every preset needs a group/);
  });

  it('refuses two presets with the same name', () => {
    const manifest = addonFiles().manifest.replace(
      'presets:\n',
      'presets:\n  - name: big\n    displayName: Also big\n    group: other\n',
    );
    const error = errorOf(() => parsePack(addonFiles({ manifest }), 'user'));
    assert.equal(error.code, 'PackInvalid');
    assert.match(error.message, /preset 'big' is defined twice/);
  });

  it('refuses values that are not a YAML mapping', () => {
    const error = errorOf(() => parsePack(addonFiles({ values: '- a\n- b\n' }), 'user'));
    assert.equal(error.code, 'PackInvalid');
    assert.equal(error.details.field, 'values');
    assert.match(error.message, /Pack demo@1\.0\.0: values\.yaml must be a YAML mapping/);
  });

  it('refuses templates on os and k8s packs, which configure nodes', () => {
    const error = errorOf(() =>
      parsePack(
        { manifest: k8sManifest('distribution: pxk'), values: '', templates: addonFiles().templates },
        'user',
      ),
    );
    assert.equal(error.code, 'PackInvalid');
    assert.equal(error.details.field, 'templates');
  });

  it('refuses a pack.yaml that is not YAML', () => {
    const error = errorOf(() => parsePack(addonFiles({ manifest: 'name: [demo\n' }), 'user'));
    assert.equal(error.code, 'PackInvalid');
    assert.match(error.message, /pack\.yaml is not valid YAML/);
  });
});
