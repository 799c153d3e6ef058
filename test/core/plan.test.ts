import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inventoryOf } from '../../src/core/desired.ts';
import type { ClusterPhase, ClusterSpec, InventoryEntry, ProfileVersion } from '../../src/core/model.ts';
import { summarizePlan } from '../../src/core/plan-summary.ts';
import { resolveStack } from '../../src/core/stack.ts';
import { valuesToObject } from '../../src/core/values.ts';
import type { UpdateRequest } from '../../src/core/workflows.ts';
import { ProposalCache } from '../../src/engine/proposals.ts';
import { desiredObjectsOfStack, proposeUpdate, testRenderer } from '../support/render.ts';
import { catalog, clusterSpec, fullProfile, seedProfiles } from './fixtures.ts';
import { editYaml } from './yaml-edit.ts';

/** A running cluster on `profiles`, with everything they render applied. */
async function runningCluster(
  profiles: ProfileVersion[],
  spec: Partial<ClusterSpec> = {},
  phase: ClusterPhase = 'Running',
) {
  const s = { ...clusterSpec('cluster-update-deletion', profiles), ...spec };
  const inventory: InventoryEntry[] = inventoryOf(
    await desiredObjectsOfStack(resolveStack(profiles, s.overrides, catalog), catalog),
  );
  return { spec: s, phase, inventory };
}

const toVersion = (
  target: ProfileVersion,
  extra: Partial<Extract<UpdateRequest, { kind: 'profiles' }>> = {},
): UpdateRequest => ({
  kind: 'profiles',
  target: [target],
  ...extra,
});

test('seed workflow 1: switching 1.0.0 → 1.1.0 (API preset on) needs no repave and leaves the old deployment unused', async () => {
  const { v100, v110 } = seedProfiles();
  const { plan, spec } = await proposeUpdate(await runningCluster([v100]), [v100], toVersion(v110), catalog);
  assert.equal(plan.applicable, true);
  assert.equal(plan.repave.required, false);
  assert.equal(plan.kubernetes, null);
  const hu = plan.layers.find((l) => l.pack === 'hello-universe')!;
  assert.equal(hu.change, 'values');
  assert.deepEqual(hu.presets.enabled, ['enable-api']);
  assert.ok(hu.values.some((v) => v.path.startsWith('helloUniverse.api')));
  const created = plan.objects.create.map((r) => `${r.kind}/${r.name}`).sort();
  for (const expected of [
    'Deployment/api',
    'Deployment/postgres',
    'Deployment/ui',
    'Service/api',
    'Service/postgres',
    'Secret/db-password',
    'Secret/auth-token',
    'ServiceAccount/hello-universe-sa',
  ]) {
    assert.ok(created.includes(expected), `${expected} is created (got ${created.join(', ')})`);
  }
  assert.deepEqual(plan.objects.unused.map((r) => `${r.kind}/${r.name}`).sort(), [
    'Deployment/hello-universe-deployment',
    'Service/hello-universe-service',
  ]);
  assert.ok(plan.warnings.some((w) => w.code === 'UnusedResources'));
  assert.deepEqual(spec.profiles, [{ name: 'hello-universe-aws', version: '1.1.0', revision: 1 }]);
});

test('refuses an update while the cluster is Provisioning', async () => {
  const { v100, v110 } = seedProfiles();
  const { plan } = await proposeUpdate(
    await runningCluster([v100], {}, 'Provisioning'),
    [v100],
    toVersion(v110),
    catalog,
  );
  assert.equal(plan.applicable, false);
  assert.equal(plan.errors[0]?.code, 'ClusterNotUpdatable');
  assert.deepEqual(plan.errors[0]?.details, { phase: 'Provisioning' });
});

test('refuses a Kubernetes downgrade, with current and target versions', async () => {
  const on131 = fullProfile('2.0.0', { layers: { kubernetes: { version: '1.31.6' } } });
  const on130 = fullProfile('2.1.0');
  const { plan } = await proposeUpdate(await runningCluster([on131]), [on131], toVersion(on130), catalog);
  const err = plan.errors.find((e) => e.code === 'K8sDowngradeNotSupported');
  assert.ok(err);
  assert.equal(err.details.currentVersion, '1.31.6');
  assert.equal(err.details.targetVersion, '1.30.10');
});

test('refuses a skipped minor unless chained, then plans the chain with a repave of every pool', async () => {
  const on129 = fullProfile('1.0.0', { layers: { kubernetes: { version: '1.29.14' } } });
  const on131 = fullProfile('1.2.0', { layers: { kubernetes: { version: '1.31.6' } } });
  const refused = (await proposeUpdate(await runningCluster([on129]), [on129], toVersion(on131), catalog))
    .plan;
  assert.equal(refused.errors[0]?.code, 'K8sMultiMinorUpgrade');
  const chained = (
    await proposeUpdate(await runningCluster([on129]), [on129], toVersion(on131, { chain: true }), catalog)
  ).plan;
  assert.equal(chained.applicable, true);
  assert.deepEqual(chained.kubernetes?.steps, ['1.30.10', '1.31.6']);
  assert.deepEqual(
    chained.repave.pools.map((p) => p.name),
    ['control-plane', 'workers'],
  );
});

test('refuses a CNI change on an Edge cluster, allows it (with a warning) elsewhere', async () => {
  const edge = fullProfile('1.0.0', { cloudType: 'edge' });
  const edgeCilium = fullProfile('1.1.0', {
    cloudType: 'edge',
    layers: { calico: { pack: 'cilium', version: '1.16.5' } },
  });
  const cluster = await runningCluster([edge], { cloudType: 'edge' });
  const { plan } = await proposeUpdate(cluster, [edge], toVersion(edgeCilium), catalog);
  assert.equal(plan.errors[0]?.code, 'EdgeCniChangeNotSupported');
  const layer = plan.layers.find((l) => l.pack === 'cilium');
  assert.equal(layer?.change, 'replaced');
  assert.equal(layer?.replaces, 'calico');

  const sim = (
    await proposeUpdate(
      { ...cluster, spec: { ...cluster.spec, cloudType: 'sim' } },
      [edge],
      toVersion(edgeCilium),
      catalog,
    )
  ).plan;
  assert.equal(sim.errors.length, 0);
  assert.ok(sim.warnings.some((w) => w.code === 'CniChange'));
});

test('refuses changing the Kubernetes distribution', async () => {
  const pxk = fullProfile('1.0.0');
  const k3s = fullProfile('1.1.0', { layers: { kubernetes: { pack: 'k3s', version: '1.31.6' } } });
  const { plan } = await proposeUpdate(await runningCluster([pxk]), [pxk], toVersion(k3s), catalog);
  assert.ok(plan.errors.some((e) => e.code === 'K8sDistributionChange'));
});

test('an OS change needs a repave of every pool, naming the pack change', async () => {
  const v1 = fullProfile('1.0.0');
  const v2 = fullProfile('1.1.0', { layers: { ubuntu: { version: '24.4.1' } } });
  const { plan } = await proposeUpdate(await runningCluster([v1]), [v1], toVersion(v2), catalog);
  assert.equal(plan.applicable, true);
  assert.equal(plan.repave.required, true);
  assert.deepEqual(plan.repave.reasons[0]?.packDiff, {
    pack: 'ubuntu',
    fromVersion: '22.4.5',
    toVersion: '24.4.1',
    paths: [],
  });
  assert.ok(plan.warnings.some((w) => w.code === 'RepaveRequired'));
  assert.equal(plan.objects.create.length + plan.objects.change.length, 0);
});

test('seed workflow 2: an in-place revision is planned like a version switch', async () => {
  const { v100 } = seedProfiles();
  const r2: ProfileVersion = { ...seedProfiles().v110, version: '1.0.0', revision: 2 };
  const { plan, spec } = await proposeUpdate(await runningCluster([v100]), [v100], toVersion(r2), catalog);
  assert.equal(plan.applicable, true);
  assert.deepEqual(spec.profiles, [{ name: 'hello-universe-aws', version: '1.0.0', revision: 2 }]);
  assert.equal(plan.objects.unused.length, 2);
});

test('seed workflow 3: an override of add-on values changes objects without a repave', async () => {
  const { v100 } = seedProfiles();
  const cluster = await runningCluster([v100]);
  const values = editYaml(v100.layers[4]!.values, 'helloUniverse.ui.replicas', 3);
  const { plan, spec } = await proposeUpdate(
    cluster,
    [v100],
    { kind: 'override', pack: 'hello-universe', values },
    catalog,
  );
  assert.equal(plan.repave.required, false);
  assert.deepEqual(
    plan.objects.change.map((r) => r.name),
    ['hello-universe-deployment'],
  );
  assert.equal(spec.overrides['hello-universe']?.values, values);
  assert.equal(plan.layers.find((l) => l.pack === 'hello-universe')?.overridden, true);
});

test('an override of Kubernetes kubelet args asks for a repave; an override back to the profile drops it', async () => {
  const { v100 } = seedProfiles();
  const cluster = await runningCluster([v100]);
  const values = editYaml(v100.layers[1]!.values, 'kubeadmconfig.kubeletExtraArgs.max-pods', '250');
  const first = await proposeUpdate(
    cluster,
    [v100],
    { kind: 'override', pack: 'kubernetes', values },
    catalog,
  );
  assert.equal(first.plan.repave.required, true);
  assert.equal(first.plan.repave.reasons[0]?.code, 'K8sNodeValuesChanged');
  const back = await proposeUpdate(
    { ...cluster, spec: first.spec },
    [v100],
    { kind: 'override', pack: 'kubernetes', values: null },
    catalog,
  );
  assert.deepEqual(back.spec.overrides, {});
});

test('an override survives a version switch through the 3-way merge', async () => {
  const { v100, v110 } = seedProfiles();
  const overridden = editYaml(v100.layers[4]!.values, 'helloUniverse.ui.replicas', 3);
  const cluster = await runningCluster([v100], {
    overrides: { 'hello-universe': { pack: 'hello-universe', values: overridden } },
  });
  const { plan, spec } = await proposeUpdate(cluster, [v100], toVersion(v110), catalog);
  assert.equal(plan.applicable, true);
  const merged = valuesToObject(spec.overrides['hello-universe']!.values, 'v') as {
    helloUniverse: { ui: { replicas: number }; api?: { port: number } };
  };
  assert.equal(merged.helloUniverse.ui.replicas, 3, 'the cluster override is kept');
  assert.equal(merged.helloUniverse.api?.port, 3000, "the new version's preset values arrive");
});

test('a true conflict stops the apply until resolved; the resolution is taken as the cluster values', async () => {
  const { v100 } = seedProfiles();
  const v110 = fullProfile('1.1.0', {
    layers: {
      'hello-universe': { values: editYaml(v100.layers[4]!.values, 'helloUniverse.ui.replicas', 2) },
    },
  });
  const ours = editYaml(v100.layers[4]!.values, 'helloUniverse.ui.replicas', 5);
  const cluster = await runningCluster([v100], {
    overrides: { 'hello-universe': { pack: 'hello-universe', values: ours } },
  });
  const conflicted = await proposeUpdate(cluster, [v100], toVersion(v110), catalog);
  assert.equal(conflicted.plan.applicable, false);
  const err = conflicted.plan.errors.find((e) => e.code === 'MergeConflict');
  assert.deepEqual(err?.details.paths, ['helloUniverse.ui.replicas']);

  const resolved = await proposeUpdate(
    cluster,
    [v100],
    toVersion(v110, {
      resolutions: { 'hello-universe': editYaml(v110.layers[4]!.values, 'helloUniverse.ui.replicas', 4) },
    }),
    catalog,
  );
  assert.equal(resolved.plan.applicable, true);
  assert.equal(
    (
      valuesToObject(resolved.spec.overrides['hello-universe']!.values, 'v') as {
        helloUniverse: { ui: { replicas: number } };
      }
    ).helloUniverse.ui.replicas,
    4,
  );
});

test('removing a pack from the profile deletes its objects instead of leaving them unused', async () => {
  const { v100 } = seedProfiles();
  const without = fullProfile('1.2.0', { layers: { 'hello-universe': null } });
  const { plan } = await proposeUpdate(await runningCluster([v100]), [v100], toVersion(without), catalog);
  assert.equal(plan.layers.find((l) => l.pack === 'hello-universe')?.change, 'removed');
  assert.deepEqual(plan.objects.unused, []);
  assert.ok(plan.objects.delete.some((r) => r.name === 'hello-universe-deployment'));
});

test('an unchanged switch reports nothing to do', async () => {
  const { v100 } = seedProfiles();
  const { plan } = await proposeUpdate(await runningCluster([v100]), [v100], toVersion(v100), catalog);
  assert.equal(plan.changed, false);
  assert.equal(plan.objects.unchanged > 0, true);
});

test('identical inputs are planned once for a fleet, and the shared plan keeps each cluster its name', async () => {
  const { v100, v110 } = seedProfiles();
  const cache = new ProposalCache(testRenderer);
  const a = await cache.propose(
    await runningCluster([v100], { name: 'a' }),
    [v100],
    toVersion(v110),
    catalog,
  );
  const b = await cache.propose(
    await runningCluster([v100], { name: 'b' }),
    [v100],
    toVersion(v110),
    catalog,
  );
  assert.equal(cache.misses, 1);
  assert.equal(cache.hits, 1);
  assert.equal(a.plan, b.plan);
  assert.equal(b.spec.name, 'b');
});

test('summarizes a plan in one line: the layers that change, the repave, the objects', async () => {
  const { v100, v110 } = seedProfiles();
  const { plan } = await proposeUpdate(await runningCluster([v100]), [v100], toVersion(v110), catalog);
  const summary = summarizePlan(plan);
  assert.match(
    summary,
    /^hello-universe values.*; no repave; \d+ object\(s\) to create, \d+ to change, 2 left unused, 0 to delete$/,
  );
  assert.doesNotMatch(summary, /blocked/);
});
