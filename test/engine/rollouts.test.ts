/**
 * Fleet rollouts through the engine on simulated clusters: the preview (waves, one plan per distinct
 * configuration, nothing changed), canary then waves to completion with the waiting clusters' conditions, a
 * canary failing the health gate halting the rollout with its reason and cluster, maxFailures, pause / resume /
 * cancel with `RolloutNotActive`, clusters skipped with their plan error, and a change that repaves waiting,
 * visibly, for its approval. The kill -9 resume is in
 * `rollouts-kill.test.ts` (its own file, for its own time budget).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RolloutView } from '../../src/engine/contract.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { getCluster, type StoredCluster } from '../../src/store/clusters.ts';
import { getRollout, listRolloutMembers, ROLLOUT_CONDITION } from '../../src/store/rollouts.ts';
import {
  codeOf,
  converged,
  createProfile,
  type EngineFixture,
  helloProfile,
  startEngineFixture,
  TESTER,
  waitForCluster,
} from './engine-fixture.ts';

/** The clusters of each scenario, by profile: provisioned together up front (one wait, not four). */
const FLEETS: Record<string, string[]> = {
  'ro-a@1.0.0': ['pa-1', 'pa-2', 'pa-3', 'pa-4', 'pa-5'],
  'ro-b@1.0.0': ['wb-1', 'wb-2', 'wb-3'],
  'ro-c@1.0.0': ['hc-1', 'hc-2'],
  'ro-d@1.0.0': ['pr-1', 'pr-2'],
  'ro-e@1.0.0': ['rp-1'],
};

/** Polls a rollout until `check` holds. */
async function waitForRollout(
  fx: EngineFixture,
  id: string,
  check: (r: RolloutView) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<RolloutView> {
  const end = Date.now() + timeoutMs;
  let last: RolloutView | undefined;
  while (Date.now() < end) {
    last = await fx.engine.rollouts.get(id, { limit: 100 });
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(
    `timed out waiting for ${what}: state ${last?.state}, wave ${last?.currentWave}/${last?.waveCount}, counts ${JSON.stringify(last?.waves)}, halt ${last?.haltReason}`,
  );
}

/** Makes a cluster's nodes refuse new pods, so a change adding a Deployment can never become available. */
async function cordon(fx: EngineFixture, cluster: string): Promise<void> {
  const client = KubeClient.fromKubeconfig(await fx.engine.kubeconfig(cluster, 'admin'));
  for (const node of await client.list('v1', 'Node'))
    await client.apply({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: node.metadata.name },
      spec: { unschedulable: true },
    });
}

function rolloutCondition(c: StoredCluster | undefined) {
  return c?.status.conditions.find((x) => x.type === ROLLOUT_CONDITION);
}

function runs(c: StoredCluster | undefined, ref: string): boolean {
  return c?.spec.profiles.some((p) => `${p.name}@${p.version}` === ref) ?? false;
}

describe('fleet rollouts', () => {
  let fx: EngineFixture;
  before(async () => {
    // A 200 ms poll: with the fixture's 20 ms, a dozen clusters polling at once starve the in-memory store.
    fx = await startEngineFixture({ timings: { pollMs: 200, resyncMs: 3_600_000, retryBaseMs: 50 } });
    for (const name of ['ro-a', 'ro-b', 'ro-c', 'ro-d', 'ro-e']) {
      await createProfile(fx, helloProfile('1.0.0', false, { name }));
      await createProfile(fx, helloProfile('1.1.0', true, { name }));
    }
    // A new OS: every node is replaced, so the change waits for the repave to be approved.
    await createProfile(fx, helloProfile('2.0.0', false, { name: 'ro-e', ubuntu: '24.4.1' }));
    for (const [profile, names] of Object.entries(FLEETS))
      for (const name of names)
        await fx.engine.createCluster(TESTER, { name, profiles: [profile], workers: 1 });
    for (const names of Object.values(FLEETS))
      for (const name of names) await waitForCluster(fx, name, converged, `${name} Running`, 180_000);
  });
  after(async () => {
    await fx?.close();
  });

  it('previews canary and growing waves with one plan per distinct change, changing nothing', async () => {
    // A cluster that cannot finish provisioning (no worker for its pods) cannot be updated: skipped, listed.
    await fx.engine.createCluster(TESTER, { name: 'pa-stuck', profiles: ['ro-a@1.0.0'], workers: 0 });
    // An override the change does not reach: another configuration, planned apart, but the same change.
    await fx.engine.applyChange(TESTER, 'pa-2', {
      kind: 'override',
      pack: 'hello-universe',
      values: 'helloUniverse:\n  ui:\n    replicas: 2\n',
    });
    await waitForCluster(fx, 'pa-2', converged, 'pa-2 Running with its override', 120_000);
    const missesBefore = fx.running.ctx.proposals.misses;
    const preview = await fx.engine.rollouts.preview({ from: 'ro-a@1.0.0', to: 'ro-a@1.1.0' });
    assert.deepEqual(
      preview.waves.map((w) => w.size),
      [1, 4],
    );
    assert.deepEqual(preview.waves[0]!.clusters, ['pa-1']);
    assert.equal(preview.totals.eligible, 5);
    assert.equal(preview.totals.matched, 6);
    assert.equal(preview.totals.repave, 0);
    assert.deepEqual(
      preview.skipped.map((s) => [s.cluster, s.code]),
      [['pa-stuck', 'ClusterNotUpdatable']],
    );
    const shared = preview.plans.find((p) => p.clusters === 5);
    assert.ok(shared, `one plan shared by the five Running clusters: ${JSON.stringify(preview.plans)}`);
    assert.equal(shared.configurations, 2, 'the overridden cluster makes the same change: one entry');
    assert.match(shared.summary, /hello-universe/);
    assert.ok(
      fx.running.ctx.proposals.misses - missesBefore <= 3,
      'plans computed per configuration, not per cluster',
    );
    const custom = await fx.engine.rollouts.preview({
      from: 'ro-a@1.0.0',
      to: 'ro-a@1.1.0',
      canary: 2,
      growth: 2,
    });
    assert.deepEqual(
      custom.waves.map((w) => w.size),
      [2, 3],
    );
    assert.equal((await fx.engine.rollouts.list({})).items.length, 0, 'a preview stores no rollout');
    assert.ok(runs(await getCluster(fx.store.db, 'pa-1'), 'ro-a@1.0.0'), 'a preview changes no cluster');
  });

  it('rolls the canary first, then the next wave, each cluster showing why it waits, to Completed', async () => {
    const names = FLEETS['ro-b@1.0.0']!;
    const started = await fx.engine.rollouts.start(TESTER, {
      from: 'ro-b@1.0.0',
      to: 'ro-b@1.1.0',
      soakSeconds: 2,
    });
    assert.deepEqual(started.waveSizes, [1, 2]);
    const waiting = rolloutCondition(await getCluster(fx.store.db, 'wb-3'));
    assert.equal(waiting?.reason, 'WaitingForWave');
    assert.match(waiting?.message ?? '', /wave 2 of 2/);
    const soaking = await waitForRollout(fx, started.id, (r) => r.state === 'Soaking', 'the canary soak');
    assert.equal(soaking.waves[0]!.counts.healthy, 1);
    assert.equal(soaking.waves[1]!.counts.waiting, 2, 'wave 2 waits while the canary soaks');
    assert.ok(runs(await getCluster(fx.store.db, 'wb-2'), 'ro-b@1.0.0'));
    const soakCondition = rolloutCondition(await getCluster(fx.store.db, 'wb-3'));
    assert.equal(soakCondition?.reason, 'WaitingForSoak', 'wave 2 says it waits for the soak');
    assert.match(soakCondition?.message ?? '', /wave 1 soaks until .*wave 2 of 2/);
    const done = await waitForRollout(fx, started.id, (r) => r.state === 'Completed', 'Completed');
    assert.equal(done.counts.healthy, 3);
    for (const name of names) {
      const c = await getCluster(fx.store.db, name);
      assert.ok(
        c?.status.appliedProfiles.some((p) => p.name === 'ro-b' && p.version === '1.1.0'),
        `${name} runs 1.1.0`,
      );
      assert.equal(rolloutCondition(c), undefined, `${name} no longer shows a waiting condition`);
    }
    const members = (await listRolloutMembers(fx.store.db, started.id)).items;
    const canaryDone = members.find((m) => m.wave === 1)!.finishedAt!.getTime();
    for (const m of members.filter((x) => x.wave === 2))
      assert.ok(
        m.appliedAt!.getTime() >= canaryDone + 1000,
        'wave 2 starts after the canary passed and soaked',
      );
    assert.equal(await codeOf(fx.engine.rollouts.pause(TESTER, started.id)), 'RolloutNotActive');
  });

  it('halts when the canary fails its health gate, naming the cluster, and leaves the other waves alone', async () => {
    // The canary's nodes refuse new pods: the API preset's Deployment can never become available.
    await cordon(fx, 'hc-1');
    const started = await fx.engine.rollouts.start(TESTER, {
      from: 'ro-c@1.0.0',
      to: 'ro-c@1.1.0',
      soakSeconds: 0,
      progressDeadlineSeconds: 2,
    });
    const halted = await waitForRollout(fx, started.id, (r) => r.state === 'Halted', 'Halted');
    assert.equal(halted.haltCluster, 'hc-1');
    assert.match(halted.haltReason ?? '', /hc-1 failed: Did not pass the health gate within 2 s/);
    assert.equal(halted.counts.failed, 1);
    assert.equal(halted.waves[1]!.counts.waiting, 1);
    for (const name of ['hc-2']) {
      const c = await getCluster(fx.store.db, name);
      assert.ok(runs(c, 'ro-c@1.0.0'), `${name} was not moved`);
      const cond = rolloutCondition(c);
      assert.equal(cond?.reason, 'HaltedByFailure');
      assert.match(cond?.message ?? '', /in cluster hc-1/);
    }
    assert.equal(await codeOf(fx.engine.rollouts.resume(TESTER, started.id)), 'RolloutNotActive');
    const cancelled = await fx.engine.rollouts.cancel(TESTER, started.id);
    assert.equal(cancelled.state, 'Cancelled');
    assert.equal(rolloutCondition(await getCluster(fx.store.db, 'hc-2')), undefined);
  });

  it('tolerates failures up to maxFailures, pauses, resumes and cancels', async () => {
    await cordon(fx, 'pr-1');
    const started = await fx.engine.rollouts.start(TESTER, {
      from: 'ro-d@1.0.0',
      to: 'ro-d@1.1.0',
      canary: 1,
      soakSeconds: 3600,
      progressDeadlineSeconds: 2,
      maxFailures: 1,
    });
    const soaking = await waitForRollout(
      fx,
      started.id,
      (r) => r.state === 'Soaking',
      'the soak after the canary',
    );
    assert.equal(soaking.counts.failed, 1, 'one failure is within maxFailures 1: the rollout goes on');
    assert.equal(
      soaking.members.items.find((m) => m.cluster === 'pr-1')?.errorCode,
      'ProgressDeadlineExceeded',
    );
    const paused = await fx.engine.rollouts.pause(TESTER, started.id);
    assert.equal(paused.state, 'Paused');
    assert.equal(await codeOf(fx.engine.rollouts.pause(TESTER, started.id)), 'RolloutNotActive');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(
      (await getRollout(fx.store.db, started.id))?.state,
      'Paused',
      'the driver leaves a paused rollout',
    );
    const resumed = await fx.engine.rollouts.resume(TESTER, started.id);
    assert.equal(resumed.state, 'Running');
    const again = await waitForRollout(
      fx,
      started.id,
      (r) => r.state === 'Soaking',
      'soaking again after resume',
    );
    assert.equal(again.currentWave, 1, 'the next wave still waits for the soak');
    const cancelled = await fx.engine.rollouts.cancel(TESTER, started.id);
    assert.equal(cancelled.state, 'Cancelled');
    assert.ok(cancelled.finishedAt);
    for (const name of ['pr-2']) {
      const c = await getCluster(fx.store.db, name);
      assert.ok(runs(c, 'ro-d@1.0.0'), `${name} stays on 1.0.0`);
      assert.equal(rolloutCondition(c), undefined, `${name} shows no rollout condition after cancel`);
    }
    assert.equal(await codeOf(fx.engine.rollouts.cancel(TESTER, started.id)), 'RolloutNotActive');
    assert.equal(await codeOf(fx.engine.rollouts.get('ro-nope')), 'NotFound');
  });

  it('waits, visibly, for a repave to be approved before a cluster counts as healthy', async () => {
    const preview = await fx.engine.rollouts.preview({ from: 'ro-e@1.0.0', to: 'ro-e@2.0.0' });
    assert.equal(preview.totals.repave, 1, 'the preview counts the cluster that repaves');
    const started = await fx.engine.rollouts.start(TESTER, {
      from: 'ro-e@1.0.0',
      to: 'ro-e@2.0.0',
      soakSeconds: 0,
    });
    const pending = await waitForRollout(
      fx,
      started.id,
      (r) => r.counts['repave-pending'] === 1,
      'the member waiting for its repave',
    );
    assert.equal(pending.state, 'Running', 'a pending repave is a wait, not a failure');
    const condition = rolloutCondition(await getCluster(fx.store.db, 'rp-1'));
    assert.equal(condition?.reason, 'RepavePending');
    assert.match(condition?.message ?? '', /repave to be approved/);
    await fx.engine.approveRepave(TESTER, 'rp-1');
    const done = await waitForRollout(fx, started.id, (r) => r.state === 'Completed', 'Completed', 120_000);
    assert.equal(done.counts.healthy, 1);
    const c = await getCluster(fx.store.db, 'rp-1');
    assert.equal(rolloutCondition(c), undefined, 'the waiting condition is gone');
    assert.ok(runs(c, 'ro-e@2.0.0'));
  });
});
