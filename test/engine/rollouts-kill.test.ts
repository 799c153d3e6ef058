/**
 * Rollouts under kill -9: a child process (children/rollout-child.ts) provisions four clusters and starts a
 * rollout (canary, then a wave of three, 1 s soak); the harness kills it with SIGKILL at random moments of the
 * rollout (shortly after one of its first reported state changes, see kill-harness.ts) a few times, restarts it on the same data, and checks that the rollout completed with every cluster
 * healthy, applied exactly once (one spec change, one `cluster.update` audit row each).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { listAudit } from '../../src/store/audit.ts';
import { getCluster } from '../../src/store/clusters.ts';
import { openStore } from '../../src/store/open.ts';
import { listRolloutMembers, listRollouts } from '../../src/store/rollouts.ts';
import { runAndKill, startChild } from './kill-harness.ts';

const ROLLOUT_CHILD = new URL('./children/rollout-child.ts', import.meta.url).pathname;

describe('rollouts under kill -9', () => {
  let dir = '';
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('resumes a rollout where a killed process left it, applying each cluster once', async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-rollout-kill-'));
    const home = join(dir, 'home');
    const pki = join(dir, 'pki');
    let kills = 0;
    for (let trial = 0; trial < 3; trial += 1) {
      const result = await runAndKill(ROLLOUT_CHILD, [home, pki]);
      process.stdout.write(`# trial ${trial}: ${result.when}\n`);
      if (result.output.includes('DONE')) break;
      assert.equal(result.code, null, `the child died by itself:\n${result.output}`);
      kills += 1;
    }
    const last = await startChild(ROLLOUT_CHILD, [home, pki]);
    const final = await Promise.race([
      last.done,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('the rollout did not finish within 120 s')), 120_000),
      ),
    ]);
    assert.equal(final.code, 0, final.output);
    assert.match(final.output, /DONE Completed/);
    assert.ok(kills >= 1, 'at least one kill landed mid-rollout');

    const store = await openStore({ home, databaseUrl: null });
    try {
      const rollout = (await listRollouts(store.db, { limit: 10 })).items;
      assert.equal(rollout.length, 1);
      const members = (await listRolloutMembers(store.db, rollout[0]!.id)).items;
      assert.deepEqual(
        members.map((m) => [m.cluster, m.wave, m.state]),
        [
          ['rk-1', 1, 'healthy'],
          ['rk-2', 2, 'healthy'],
          ['rk-3', 2, 'healthy'],
          ['rk-4', 2, 'healthy'],
        ],
      );
      for (const name of ['rk-1', 'rk-2', 'rk-3', 'rk-4']) {
        const c = (await getCluster(store.db, name))!;
        assert.equal(c.generation, 2, `${name}: created, then changed once by the rollout`);
        assert.deepEqual(
          c.status.appliedProfiles.map((p) => `${p.name}@${p.version}`),
          ['rk@1.1.0'],
        );
        const updates = await listAudit(store.db, { target: name });
        assert.equal(updates.filter((a) => a.action === 'cluster.update').length, 1, `${name} updated once`);
      }
    } finally {
      await store.close();
    }
  });
});
