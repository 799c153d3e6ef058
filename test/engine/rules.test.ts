/**
 * Rules enforced when an update is requested and again when it runs, the prune cap, and a pack leaving the
 * stack taking its objects with it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isStrataError } from '../../src/core/errors.ts';
import type { ProfileDocument } from '../../src/core/profile.ts';
import { requestReconcile } from '../../src/engine/work.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { getCluster, updateClusterSpec } from '../../src/store/clusters.ts';
import { listInventory } from '../../src/store/inventory.ts';
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

const MONITORING: ProfileDocument = {
  name: 'monitoring',
  version: '1.0.0',
  type: 'addon',
  cloudType: 'sim',
  layers: [{ pack: 'metrics-server', version: '0.7.2' }],
} as ProfileDocument;

describe('rules at request time and at run time (slow-booting nodes)', () => {
  let fx: EngineFixture;
  before(async () => {
    fx = await startEngineFixture({ simTiming: { nodeBootMs: 400 } });
    await createProfile(fx, helloProfile('1.0.0', false));
    await createProfile(fx, helloProfile('1.1.0', true));
    await createProfile(fx, helloProfile('0.9.0', false, { kubernetes: '1.29.14' }));
  });
  after(async () => {
    await fx?.close();
  });

  it('refuses an update requested while the cluster is Provisioning with ClusterNotUpdatable', async () => {
    await fx.engine.createCluster(TESTER, {
      name: 'booting',
      profiles: ['hello-universe-aws@1.0.0'],
      workers: 1,
    });
    await waitForCluster(fx, 'booting', (c) => c.status.phase === 'Provisioning', 'Provisioning');
    const error = await fx.engine
      .applyChange(TESTER, 'booting', { kind: 'profiles', profiles: ['hello-universe-aws@1.1.0'] })
      .then(
        () => null,
        (e: unknown) => e,
      );
    assert.ok(isStrataError(error));
    assert.equal(error.code, 'ClusterNotUpdatable');
    assert.match(error.message, /Provisioning/);
    assert.ok((error.details as { plan?: unknown }).plan, 'the refusal carries the plan');
    await waitForCluster(fx, 'booting', converged, 'Running');
  });

  it('stops an update that turned invalid by the time it runs with a condition, not a crash', async () => {
    // A spec written behind the commands' back (an older engine, a restore): the reconciler re-checks the rules.
    const cluster = (await getCluster(fx.store.db, 'booting'))!;
    await updateClusterSpec(
      fx.store.db,
      TESTER,
      { ...cluster.spec, profiles: [{ name: 'hello-universe-aws', version: '0.9.0', revision: 1 }] },
      cluster.resourceVersion,
    );
    await requestReconcile(fx.store.db, ['booting'], 'test');
    const blocked = await waitForCluster(
      fx,
      'booting',
      (c) => c.status.conditions.find((x) => x.type === 'Ready')?.reason === 'K8sDowngradeNotSupported',
      'blocked',
    );
    assert.equal(blocked.status.conditions.find((x) => x.type === 'Ready')?.status, 'False');
    assert.notEqual(blocked.status.observedGeneration, blocked.generation);
    assert.ok((await eventsOf(fx, 'booting')).some((e) => e.reason === 'UpdateBlocked'));
    assert.ok((await fx.sim.infra.listNodes('booting')).every((n) => n.kubeletVersion === 'v1.30.10'));
  });
});

describe('prune cap and removed packs', () => {
  let fx: EngineFixture;
  before(async () => {
    fx = await startEngineFixture();
    await createProfile(fx, helloProfile('1.0.0', false));
    await createProfile(fx, helloProfile('1.1.0', true));
    await createProfile(fx, MONITORING);
  });
  after(async () => {
    await fx?.close();
  });

  it('refuses to prune more than the cap without force, previews first, and prunes with force', async () => {
    await fx.engine.createCluster(TESTER, {
      name: 'big',
      profiles: ['hello-universe-aws@1.1.0'],
      workers: 1,
    });
    await waitForCluster(fx, 'big', converged, 'Running');
    await fx.engine.applyChange(TESTER, 'big', { kind: 'profiles', profiles: ['hello-universe-aws@1.0.0'] });
    await waitForCluster(
      fx,
      'big',
      (c) => converged(c) && c.status.appliedProfiles[0]?.version === '1.0.0',
      '1.0.0 applied',
    );
    const preview = await fx.engine.prune(TESTER, 'big', { dryRun: true, force: false });
    assert.equal(preview.refused, true);
    assert.ok(preview.objects.length > 3);
    assert.equal(
      await codeOf(fx.engine.prune(TESTER, 'big', { dryRun: false, force: false })),
      'PruneCapExceeded',
    );
    // One object by name is within the cap.
    const one = preview.objects.find((o) => o.kind === 'Deployment' && o.name === 'api')!;
    await fx.engine.prune(TESTER, 'big', { dryRun: false, force: false, objects: [one] });
    await waitForCluster(fx, 'big', (c) => converged(c) && !c.status.engine?.['prune'], 'api pruned');
    assert.ok(
      !(await listInventory(fx.store.db, 'big')).some((e) => e.name === 'api' && e.kind === 'Deployment'),
    );
    const forced = await fx.engine.prune(TESTER, 'big', { dryRun: false, force: true });
    assert.equal(forced.refused, false);
    await waitForCluster(
      fx,
      'big',
      (c) =>
        converged(c) && c.status.conditions.find((x) => x.type === 'UnusedResources')?.status === 'False',
      'pruned',
    );
    const inventory = (await listInventory(fx.store.db, 'big')).filter((e) => e.pack === 'hello-universe');
    assert.ok(inventory.every((e) => !e.unused));
    assert.deepEqual(inventory.map((e) => e.kind).sort(), ['Deployment', 'Namespace', 'Service']);
  });

  it('refuses to prune an object that is still in use', async () => {
    const code = await codeOf(
      fx.engine.prune(TESTER, 'big', {
        dryRun: false,
        force: false,
        objects: [
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            namespace: 'hello-universe',
            name: 'hello-universe-deployment',
          },
        ],
      }),
    );
    assert.equal(code, 'ValidationFailed');
  });

  it('removing a pack from the cluster deletes its objects', async () => {
    await fx.engine.createCluster(TESTER, {
      name: 'mon',
      profiles: ['hello-universe-aws@1.0.0', 'monitoring@1.0.0'],
      workers: 1,
    });
    await waitForCluster(fx, 'mon', converged, 'Running');
    const client = KubeClient.fromKubeconfig(await fx.engine.kubeconfig('mon', 'admin'));
    const ref = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'kube-system',
      name: 'metrics-server',
    };
    assert.ok(await client.get(ref));
    const plan = await fx.engine.planChange('mon', {
      kind: 'profiles',
      profiles: ['hello-universe-aws@1.0.0'],
    });
    assert.ok(plan.plan.objects.delete.some((r) => r.name === 'metrics-server' && r.kind === 'Deployment'));
    await fx.engine.applyChange(TESTER, 'mon', { kind: 'profiles', profiles: ['hello-universe-aws@1.0.0'] });
    await waitForCluster(
      fx,
      'mon',
      (c) => converged(c) && c.status.appliedProfiles.length === 1,
      'monitoring detached',
    );
    assert.equal(await client.get(ref), undefined);
    assert.ok((await listInventory(fx.store.db, 'mon')).every((e) => e.pack !== 'metrics-server'));
    assert.ok((await eventsOf(fx, 'mon')).some((e) => e.reason === 'PackRemoved'));
  });
});

describe('rules of an update checked once per generation (slow-starting pods)', () => {
  let fx: EngineFixture;
  before(async () => {
    fx = await startEngineFixture({ simTiming: { podStartMs: 1_500 } });
    await createProfile(fx, helloProfile('1.0.0', false));
    await createProfile(fx, helloProfile('1.1.0', true));
    await createProfile(fx, helloProfile('0.9.0', false, { kubernetes: '1.29.14' }));
  });
  after(async () => {
    await fx?.close();
  });

  it('re-checks a new generation that arrives while the last one waits for health, and forgets the check once Running', async () => {
    await fx.engine.createCluster(TESTER, {
      name: 'settling',
      profiles: ['hello-universe-aws@1.0.0'],
      workers: 1,
    });
    await waitForCluster(fx, 'settling', converged, 'Running');
    await fx.engine.applyChange(TESTER, 'settling', {
      kind: 'profiles',
      profiles: ['hello-universe-aws@1.1.0'],
    });
    // Applied and waiting for the new Deployment's pods: this generation's rules passed on its first pass.
    const settling = await waitForCluster(
      fx,
      'settling',
      (c) => c.status.phase === 'Updating' && c.status.engine?.['updateChecked'] === c.generation,
      'the update applied and settling',
    );
    // A spec written behind the commands' back while the update settles: the new generation is checked again.
    await updateClusterSpec(
      fx.store.db,
      TESTER,
      { ...settling.spec, profiles: [{ name: 'hello-universe-aws', version: '0.9.0', revision: 1 }] },
      settling.resourceVersion,
    );
    await requestReconcile(fx.store.db, ['settling'], 'test');
    const blocked = await waitForCluster(
      fx,
      'settling',
      (c) => c.status.conditions.find((x) => x.type === 'Ready')?.reason === 'K8sDowngradeNotSupported',
      'blocked',
    );
    assert.notEqual(blocked.status.observedGeneration, blocked.generation);
    assert.ok((await eventsOf(fx, 'settling')).some((e) => e.reason === 'UpdateBlocked'));
    // Back to an allowed spec: it runs, and the converged cluster keeps no check of a generation.
    await updateClusterSpec(
      fx.store.db,
      TESTER,
      { ...blocked.spec, profiles: [{ name: 'hello-universe-aws', version: '1.1.0', revision: 1 }] },
      blocked.resourceVersion,
    );
    await requestReconcile(fx.store.db, ['settling'], 'test');
    const running = await waitForCluster(
      fx,
      'settling',
      (c) => converged(c) && c.status.observedGeneration === c.generation,
      'Running on 1.1.0',
    );
    assert.equal(running.status.engine?.['updateChecked'], undefined);
  });
});
