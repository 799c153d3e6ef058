/**
 * The update workflows and their rules through the engine: negative paths with their codes (DESIGN section 8
 * step 7), the repave gate (pending until approved, reverted before approval, rolling replacement with new
 * container IDs, control plane first), chained Kubernetes upgrades, cluster overrides surviving a version switch,
 * and in-place revisions reported as `UpdateAvailable`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KubeClient } from '../../src/kube/client.ts';
import { getCluster } from '../../src/store/clusters.ts';
import { editProfileVersion, getProfileVersion } from '../../src/store/profiles.ts';
import {
  codeOf,
  converged,
  createProfile,
  type EngineFixture,
  eventsOf,
  helloProfile,
  startEngineFixture,
  TESTER,
  waitForCluster,
} from './engine-fixture.ts';

/** Returns the code of the StrataError `promise` rejects with. */
async function containerIds(fx: EngineFixture, cluster: string): Promise<Map<string, string>> {
  const client = KubeClient.fromKubeconfig(await fx.engine.kubeconfig(cluster, 'admin'));
  const pods = await client.list('v1', 'Pod', { namespace: 'hello-universe' });
  return new Map(
    pods.map((p) => [
      p.metadata.name,
      String(
        ((p['status'] as { containerStatuses?: Array<{ containerID?: string }> }).containerStatuses ?? [])[0]
          ?.containerID ?? '',
      ),
    ]),
  );
}

describe('update workflows and rules', () => {
  let fx: EngineFixture;
  before(async () => {
    fx = await startEngineFixture();
    await createProfile(fx, helloProfile('1.0.0', false));
    await createProfile(fx, helloProfile('1.1.0', true));
    await createProfile(fx, helloProfile('0.9.0', false, { kubernetes: '1.29.14' }));
    await createProfile(fx, helloProfile('2.0.0', false, { ubuntu: '24.4.1' }));
    await createProfile(fx, helloProfile('3.0.0', false, { kubernetes: '1.32.2' }));
    await createProfile(fx, helloProfile('1.0.0', false, { name: 'edge-hello', cloudType: 'edge' }));
    await createProfile(
      fx,
      helloProfile('1.1.0', false, {
        name: 'edge-hello',
        cloudType: 'edge',
        cni: { pack: 'flannel', version: '0.26.1' },
      }),
    );
  });
  after(async () => {
    await fx?.close();
  });

  it('refuses an update while the cluster is Provisioning (ClusterNotUpdatable)', async () => {
    await fx.engine.createCluster(TESTER, { name: 'young', profiles: ['hello-universe-aws@1.0.0'] });
    const code = await codeOf(
      fx.engine.applyChange(TESTER, 'young', { kind: 'profiles', profiles: ['hello-universe-aws@1.1.0'] }),
    );
    assert.equal(code, 'ClusterNotUpdatable');
    await waitForCluster(fx, 'young', converged, 'Running');
  });

  it('refuses a Kubernetes downgrade (K8sDowngradeNotSupported) and a skipped minor without chain', async () => {
    assert.equal(
      await codeOf(
        fx.engine.applyChange(TESTER, 'young', { kind: 'profiles', profiles: ['hello-universe-aws@0.9.0'] }),
      ),
      'K8sDowngradeNotSupported',
    );
    assert.equal(
      await codeOf(
        fx.engine.applyChange(TESTER, 'young', { kind: 'profiles', profiles: ['hello-universe-aws@3.0.0'] }),
      ),
      'K8sMultiMinorUpgrade',
    );
  });

  it('applies a batch of changes in one go, refusing each bad one by itself (what a rollout step does)', async () => {
    await fx.engine.createCluster(TESTER, { name: 'batch-one', profiles: ['hello-universe-aws@1.0.0'] });
    await waitForCluster(fx, 'batch-one', converged, 'Running');
    const to = (version: string) => ({
      kind: 'profiles' as const,
      profiles: [`hello-universe-aws@${version}`],
    });
    const results = await fx.engine.applyChanges(TESTER, [
      { cluster: 'batch-one', change: to('1.1.0') },
      { cluster: 'young', change: to('0.9.0') },
      { cluster: 'ghost', change: to('1.1.0') },
    ]);
    assert.deepEqual(
      [...results].map(([cluster, error]) => [cluster, error?.code ?? null]),
      [
        ['young', 'K8sDowngradeNotSupported'],
        ['ghost', 'NotFound'],
        ['batch-one', null],
      ],
    );
    const stored = await getCluster(fx.store.db, 'batch-one');
    assert.equal(stored?.generation, 2);
    assert.equal(stored?.spec.profiles[0]?.version, '1.1.0');
    assert.equal((await getCluster(fx.store.db, 'young'))?.spec.profiles[0]?.version, '1.0.0');
    assert.ok((await eventsOf(fx, 'batch-one')).some((e) => e.reason === 'UpdateRequested'));
    // A change to what a cluster already runs stores nothing.
    const young = await getCluster(fx.store.db, 'young');
    const same = await fx.engine.applyChanges(TESTER, [{ cluster: 'young', change: to('1.0.0') }]);
    assert.equal(same.get('young'), null);
    assert.equal((await getCluster(fx.store.db, 'young'))?.resourceVersion, young?.resourceVersion);
    await waitForCluster(fx, 'batch-one', converged, 'Running at 1.1.0');
  });

  it('refuses an Edge cluster CNI change (EdgeCniChangeNotSupported)', async () => {
    await fx.engine.createCluster(TESTER, { name: 'edge-1', profiles: ['edge-hello@1.0.0'], workers: 1 });
    await waitForCluster(fx, 'edge-1', converged, 'Running');
    assert.equal(
      await codeOf(
        fx.engine.applyChange(TESTER, 'edge-1', { kind: 'profiles', profiles: ['edge-hello@1.1.0'] }),
      ),
      'EdgeCniChangeNotSupported',
    );
  });

  it('refuses to approve when no repave is pending (RepaveNotPending)', async () => {
    assert.equal(await codeOf(fx.engine.approveRepave(TESTER, 'young')), 'RepaveNotPending');
  });

  it('holds an OS change as a pending repave until approved, then replaces every node with new container IDs', async () => {
    const nodesBefore = (await fx.sim.infra.listNodes('young')).map((n) => n.name).sort();
    const idsBefore = await containerIds(fx, 'young');
    const view = await fx.engine.applyChange(TESTER, 'young', {
      kind: 'profiles',
      profiles: ['hello-universe-aws@2.0.0'],
    });
    assert.equal(view.plan.repave.required, true);
    const pending = await waitForCluster(
      fx,
      'young',
      (c) => c.status.repave.state === 'Pending' && c.status.phase === 'Running',
      'repave Pending',
    );
    assert.equal(pending.status.repave.state, 'Pending');
    if (pending.status.repave.state === 'Pending') {
      assert.equal(pending.status.repave.reasons[0]?.code, 'OsPackChanged');
      assert.equal(pending.status.repave.reasons[0]?.packDiff.toVersion, '24.4.1');
    }
    assert.equal(pending.status.conditions.find((c) => c.type === 'RepavePending')?.status, 'True');
    // Until approved, nothing on the nodes changes.
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual((await fx.sim.infra.listNodes('young')).map((n) => n.name).sort(), nodesBefore);

    await fx.engine.approveRepave(TESTER, 'young');
    const done = await waitForCluster(
      fx,
      'young',
      (c) => converged(c) && c.status.repave.state === 'None',
      'repave done',
      30_000,
    );
    assert.deepEqual(
      done.status.appliedProfiles.map((p) => p.version),
      ['2.0.0'],
    );
    const nodesAfter = await fx.sim.infra.listNodes('young');
    assert.equal(nodesAfter.length, nodesBefore.length);
    assert.ok(nodesAfter.every((n) => n.osImage === 'Ubuntu 24.04.1 LTS' && !nodesBefore.includes(n.name)));
    const idsAfter = await containerIds(fx, 'young');
    for (const id of idsAfter.values())
      assert.ok(![...idsBefore.values()].includes(id), 'every pod restarted with a new container ID');

    const events = await eventsOf(fx, 'young');
    const started = events.findIndex((e) => e.reason === 'RepaveStarted');
    assert.ok(started > 0);
    const deletions = events.slice(started).filter((e) => e.reason === 'NodeDeleted');
    assert.equal(deletions[0]?.details['pool'], 'control-plane', 'the control plane goes first');
    assert.ok(events.some((e) => e.reason === 'RepaveCompleted'));
  });

  it('cancels a pending repave when the change is reverted before approval (Reverted)', async () => {
    await fx.engine.createCluster(TESTER, {
      name: 'revert',
      profiles: ['hello-universe-aws@1.0.0'],
      workers: 1,
    });
    await waitForCluster(fx, 'revert', converged, 'Running');
    const nodesBefore = (await fx.sim.infra.listNodes('revert')).map((n) => n.name).sort();
    await fx.engine.applyChange(TESTER, 'revert', {
      kind: 'profiles',
      profiles: ['hello-universe-aws@2.0.0'],
    });
    await waitForCluster(fx, 'revert', (c) => c.status.repave.state === 'Pending', 'repave Pending');
    await fx.engine.applyChange(TESTER, 'revert', {
      kind: 'profiles',
      profiles: ['hello-universe-aws@1.0.0'],
    });
    const reverted = await waitForCluster(
      fx,
      'revert',
      (c) => converged(c) && c.status.repave.state === 'Reverted',
      'Reverted',
    );
    assert.equal(reverted.status.conditions.find((c) => c.type === 'RepavePending')?.reason, 'Reverted');
    assert.deepEqual((await fx.sim.infra.listNodes('revert')).map((n) => n.name).sort(), nodesBefore);
    assert.equal(await codeOf(fx.engine.approveRepave(TESTER, 'revert')), 'RepaveNotPending');
  });

  it('runs a chained Kubernetes upgrade step by step under auto-approve', async () => {
    await fx.engine.createCluster(TESTER, {
      name: 'chain',
      profiles: ['hello-universe-aws@1.0.0'],
      workers: 1,
      settings: { repave: 'auto-approve' },
    });
    await waitForCluster(fx, 'chain', converged, 'Running');
    const view = await fx.engine.applyChange(TESTER, 'chain', {
      kind: 'profiles',
      profiles: ['hello-universe-aws@3.0.0'],
      chain: true,
    });
    assert.deepEqual(view.plan.kubernetes?.steps, ['1.31.6', '1.32.2']);
    const done = await waitForCluster(
      fx,
      'chain',
      (c) => converged(c) && c.status.repave.state === 'None' && c.status.kubernetesVersion === '1.32.2',
      'upgraded',
      30_000,
    );
    assert.equal(done.status.kubernetesVersion, '1.32.2');
    assert.ok((await fx.sim.infra.listNodes('chain')).every((n) => n.kubeletVersion === 'v1.32.2'));
    const created = (await eventsOf(fx, 'chain'))
      .filter((e) => e.reason === 'NodeCreated')
      .map((e) => e.message);
    const step1 = created.findIndex((m) => m.includes('v1.31.6'));
    const step2 = created.findIndex((m) => m.includes('v1.32.2'));
    assert.ok(step1 > 0 && step2 > step1, 'every node ran 1.31 before any ran 1.32');
    assert.equal(created.filter((m) => m.includes('v1.31.6')).length, 2);
  });

  it('applies a cluster override and keeps it through a version switch (3-way merge)', async () => {
    await fx.engine.createCluster(TESTER, {
      name: 'own',
      profiles: ['hello-universe-aws@1.0.0'],
      workers: 1,
    });
    await waitForCluster(fx, 'own', converged, 'Running');
    const base = (
      await fx.engine.planChange('own', { kind: 'profiles', profiles: ['hello-universe-aws@1.0.0'] })
    ).layers.find((l) => l.pack === 'hello-universe')!.current!;
    const values = base.replace(/replicas: 1/, 'replicas: 2');
    const plan = await fx.engine.planChange('own', { kind: 'override', pack: 'hello-universe', values });
    assert.equal(plan.plan.repave.required, false);
    assert.deepEqual(
      plan.plan.objects.change.map((r) => r.name),
      ['hello-universe-deployment'],
    );
    await fx.engine.applyChange(TESTER, 'own', { kind: 'override', pack: 'hello-universe', values });
    await waitForCluster(
      fx,
      'own',
      (c) => converged(c) && c.status.appliedOverrides?.['hello-universe'] !== undefined,
      'override applied',
    );
    const client = KubeClient.fromKubeconfig(await fx.engine.kubeconfig('own', 'admin'));
    const hello = await client.get({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'hello-universe',
      name: 'hello-universe-deployment',
    });
    assert.equal((hello?.['spec'] as { replicas: number } | undefined)?.replicas, 2);

    const switchPlan = await fx.engine.planChange('own', {
      kind: 'profiles',
      profiles: ['hello-universe-aws@1.1.0'],
    });
    assert.equal(switchPlan.plan.applicable, true);
    assert.match(switchPlan.layers.find((l) => l.pack === 'hello-universe')!.pending!, /replicas: 2/);
    await fx.engine.applyChange(TESTER, 'own', { kind: 'profiles', profiles: ['hello-universe-aws@1.1.0'] });
    await waitForCluster(
      fx,
      'own',
      (c) => converged(c) && c.status.appliedProfiles[0]?.version === '1.1.0',
      '1.1.0 applied',
    );
    const ui = await client.get({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'hello-universe',
      name: 'ui',
    });
    assert.equal(
      (ui?.['spec'] as { replicas: number } | undefined)?.replicas,
      2,
      'the override survived the switch',
    );
  });

  it('reports an in-place revision as UpdateAvailable with its plan, and applies it per cluster', async () => {
    await waitForCluster(fx, 'own', converged, 'Running');
    const current = (await getProfileVersion(fx.store.db, 'hello-universe-aws', '1.1.0'))!;
    const layers = current.layers.map((l) =>
      l.pack === 'hello-universe' ? { ...l, values: l.values.replace(/port: 8080/, 'port: 8081') } : l,
    );
    const edited = await editProfileVersion(fx.store.db, TESTER, {
      name: 'hello-universe-aws',
      version: '1.1.0',
      expectedResourceVersion: current.resourceVersion,
      layers,
    });
    await fx.engine.markUpdateAvailable('hello-universe-aws', '1.1.0', edited.revision);
    const flagged = await waitForCluster(
      fx,
      'own',
      (c) => c.status.conditions.find((x) => x.type === 'UpdateAvailable')?.status === 'True',
      'UpdateAvailable',
    );
    const message = flagged.status.conditions.find((x) => x.type === 'UpdateAvailable')!.message;
    assert.match(message, /hello-universe-aws@1\.1\.0 has revision 2 \(the cluster runs 1\)/);
    assert.match(message, /no repave/);

    await fx.engine.applyChange(TESTER, 'own', { kind: 'profiles', profiles: ['hello-universe-aws@1.1.0'] });
    const applied = await waitForCluster(
      fx,
      'own',
      (c) => converged(c) && c.status.appliedProfiles[0]?.revision === 2,
      'revision 2 applied',
    );
    assert.equal(applied.status.conditions.find((x) => x.type === 'UpdateAvailable')?.status, 'False');
  });
});
