import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkKubernetesUpgrade } from '../../src/core/kubernetes-upgrade.ts';
import { catalog } from './fixtures.ts';

const k8s = (name: string, version: string) => catalog.require(name, version);

test('a one-minor upgrade is a single step', () => {
  const r = checkKubernetesUpgrade(
    k8s('kubernetes', '1.29.14'),
    k8s('kubernetes', '1.30.10'),
    catalog,
    false,
  );
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.upgrade?.steps, ['1.30.10']);
});

test('same version: no Kubernetes change', () => {
  const r = checkKubernetesUpgrade(
    k8s('kubernetes', '1.30.10'),
    k8s('kubernetes', '1.30.10'),
    catalog,
    false,
  );
  assert.equal(r.upgrade, null);
  assert.deepEqual(r.errors, []);
});

test('refuses a Kubernetes downgrade', () => {
  const r = checkKubernetesUpgrade(k8s('kubernetes', '1.31.6'), k8s('kubernetes', '1.30.10'), catalog, true);
  assert.equal(r.errors[0]?.code, 'K8sDowngradeNotSupported');
  assert.deepEqual(r.errors[0]?.details, {
    currentVersion: '1.31.6',
    targetVersion: '1.30.10',
    currentPack: 'kubernetes',
    targetPack: 'kubernetes',
  });
});

test('refuses skipping a minor without --chain, naming the skipped minors', () => {
  const r = checkKubernetesUpgrade(k8s('kubernetes', '1.29.14'), k8s('kubernetes', '1.31.6'), catalog, false);
  assert.equal(r.errors[0]?.code, 'K8sMultiMinorUpgrade');
  assert.deepEqual(r.errors[0]?.details.skippedMinors, ['1.30']);
  assert.match(r.errors[0]!.message, /--chain/);
});

test('with --chain plans one minor at a time through the catalog', () => {
  const r = checkKubernetesUpgrade(k8s('kubernetes', '1.29.14'), k8s('kubernetes', '1.32.2'), catalog, true);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.upgrade?.steps, ['1.30.10', '1.31.6', '1.32.2']);
  assert.equal(r.warnings[0]?.code, 'K8sChainedUpgrade');
});

test('refuses changing the Kubernetes distribution', () => {
  const r = checkKubernetesUpgrade(k8s('kubernetes', '1.30.10'), k8s('k3s', '1.31.6'), catalog, true);
  assert.equal(r.errors[0]?.code, 'K8sDistributionChange');
  assert.equal(r.errors[0]?.details.targetDistribution, 'k3s');
});

test('a chained upgrade fails clearly when the catalog lacks an intermediate minor', () => {
  // k3s ships 1.30, 1.31 and 1.32: a chain from 1.30 to 1.32 works; nothing below 1.30 exists.
  const ok = checkKubernetesUpgrade(k8s('k3s', '1.30.10'), k8s('k3s', '1.32.2'), catalog, true);
  assert.deepEqual(ok.upgrade?.steps, ['1.31.6', '1.32.2']);
});
