import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Catalog } from '../../src/core/catalog.ts';
import { StrataError } from '../../src/core/errors.ts';
import type { Pack } from '../../src/core/model.ts';

function pack(name: string, version: string, extra: Partial<Pack> = {}): Pack {
  return {
    name,
    version,
    layer: 'addon',
    displayName: name,
    description: '',
    values: '',
    presets: [],
    nodeImpactPaths: [],
    manifests: [],
    source: 'builtin',
    kind: 'strata',
    ...extra,
  };
}

describe('Catalog', () => {
  const catalog = new Catalog([
    pack('kubernetes', '1.30.10', { layer: 'k8s', distribution: 'pxk' }),
    pack('kubernetes', '1.9.0', { layer: 'k8s', distribution: 'pxk' }),
    pack('kubernetes', '1.29.14', { layer: 'k8s', distribution: 'pxk' }),
    pack('kubernetes', '1.30.2', { layer: 'k8s', distribution: 'pxk' }),
    pack('calico', '3.29.1', { layer: 'cni' }),
  ]);

  it('finds a pack by name and version', () => {
    assert.equal(catalog.get('kubernetes', '1.29.14')?.version, '1.29.14');
    assert.equal(catalog.get('kubernetes', '1.28.0'), undefined);
    assert.equal(catalog.get('nope', '1.0.0'), undefined);
    assert.equal(catalog.require('calico', '3.29.1').layer, 'cni');
  });

  it('lists versions in ascending semver order, not string order', () => {
    assert.deepEqual(catalog.versions('kubernetes'), ['1.9.0', '1.29.14', '1.30.2', '1.30.10']);
    assert.deepEqual(catalog.versions('unknown'), []);
  });

  it('lists names sorted and packs by name then version', () => {
    assert.deepEqual(catalog.names(), ['calico', 'kubernetes']);
    assert.deepEqual(
      catalog.list().map((p) => `${p.name}@${p.version}`),
      ['calico@3.29.1', 'kubernetes@1.9.0', 'kubernetes@1.29.14', 'kubernetes@1.30.2', 'kubernetes@1.30.10'],
    );
  });

  it('refuses a missing version with PackNotFound naming it and the known versions', () => {
    assert.throws(
      () => catalog.require('kubernetes', '1.31.0'),
      (error: unknown) =>
        error instanceof StrataError &&
        error.code === 'PackNotFound' &&
        error.message ===
          'Pack kubernetes@1.31.0 is not in the catalog; known versions of kubernetes: 1.9.0, 1.29.14, 1.30.2, 1.30.10.' &&
        (error.details.knownVersions as string[]).length === 4,
    );
  });

  it('refuses an unknown pack name with PackNotFound', () => {
    assert.throws(
      () => catalog.require('cilium', '1.0.0'),
      (error: unknown) =>
        error instanceof StrataError &&
        error.code === 'PackNotFound' &&
        /cilium@1\.0\.0 is not in the catalog; the catalog has no pack named 'cilium'/.test(error.message),
    );
  });

  it('refuses to add the same name@version twice with AlreadyExists', () => {
    const c = new Catalog([pack('demo', '1.0.0')]);
    assert.throws(
      () => c.add(pack('demo', '1.0.0')),
      (error: unknown) =>
        error instanceof StrataError &&
        error.code === 'AlreadyExists' &&
        error.message === 'Pack demo@1.0.0 is already in the catalog.',
    );
    c.add(pack('demo', '1.1.0'));
    assert.deepEqual(c.versions('demo'), ['1.0.0', '1.1.0']);
  });

  it('refuses a version of a pack that changes its layer or distribution', () => {
    const c = new Catalog([pack('k3s', '1.30.10', { layer: 'k8s', distribution: 'k3s' })]);
    assert.throws(
      () => c.add(pack('k3s', '1.31.6', { layer: 'k8s', distribution: 'rke2' })),
      (error: unknown) =>
        error instanceof StrataError &&
        error.code === 'PackInvalid' &&
        /k3s@1\.31\.6 is a k8s \(rke2\) pack, but k3s@1\.30\.10 is a k8s \(k3s\) pack/.test(error.message),
    );
    assert.throws(() => c.add(pack('k3s', '1.32.0', { layer: 'addon' })), { code: 'PackInvalid' });
  });

  it('does not let callers reorder its version list', () => {
    const versions = catalog.versions('kubernetes');
    versions.reverse();
    assert.equal(catalog.versions('kubernetes')[0], '1.9.0');
  });
});
