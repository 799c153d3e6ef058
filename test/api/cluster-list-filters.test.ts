/**
 * The fleet list's server-side filters, order and counts, on both stores: each filter narrows the list to the
 * clusters a user means (health, Kubernetes version, labels, name prefix and part, notices), filters combine,
 * descending order pages with the cursor without skipping or repeating, `counts=phase` counts what the other
 * filters match by phase and health, and a bad filter is a 400 that names it.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { ClusterSpec, Condition } from '../../src/core/model.ts';
import { createClusters, updateClusterStatus } from '../../src/store/clusters.ts';
import { type ApiFixture, forEachApiDriver } from './fixture.ts';

const FLEET = 60;

function spec(i: number): ClusterSpec {
  return {
    name: `lf-${String(i).padStart(3, '0')}`,
    cloudType: 'sim',
    profiles: [{ name: 'web', version: i % 3 === 0 ? '1.1.0' : '1.0.0', revision: 1 }],
    overrides: {},
    pools: [],
    settings: { repave: 'manual', prune: false, selfHeal: true },
    labels: { region: ['eu', 'us'][i % 2]!, tier: i % 10 === 0 ? 'prod' : 'dev' },
  };
}

function condition(type: string): Condition {
  return {
    type,
    status: 'True',
    reason: 'Test',
    message: `${type} set by the test.`,
    lastTransitionTime: '',
  };
}

/** The names a list query answers, walking every page. */
async function names(f: ApiFixture, query: string, limit = 7): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await f.call(
      'GET',
      `/v1/clusters?limit=${limit}&${query}${cursor ? `&cursor=${cursor}` : ''}`,
      { token: f.tokens.viewer },
    );
    assert.equal(page.status, 200, JSON.stringify(page.json));
    out.push(...(page.json.items as Array<{ name: string }>).map((c) => c.name));
    cursor = page.json.nextCursor as string | null;
  } while (cursor);
  return out.filter((n) => n.startsWith('lf-'));
}

function expected(pick: (i: number) => boolean): string[] {
  return Array.from({ length: FLEET }, (_, i) => i)
    .filter(pick)
    .map((i) => spec(i).name);
}

forEachApiDriver((getFixture) => {
  let seeded = false;
  async function seed(f: ApiFixture): Promise<void> {
    if (seeded) return;
    seeded = true;
    await createClusters(
      f.store.db,
      { actor: 'test' },
      Array.from({ length: FLEET }, (_, i) => spec(i)),
      { phase: 'Running', health: 'Healthy', kubernetesVersion: '1.30.10' },
    );
    for (let i = 0; i < FLEET; i++) {
      const patch: Parameters<typeof updateClusterStatus>[2] = {};
      if (i % 4 === 1) patch.health = 'Degraded';
      if (i % 5 === 2) patch.kubernetesVersion = '1.31.2';
      if (i % 7 === 3) patch.conditions = [condition('UpdateAvailable')];
      if (i % 11 === 4) patch.conditions = [condition('Drifted')];
      if (i === 20)
        patch.conditions = [condition('UnusedResources'), { ...condition('Drifted'), status: 'False' }];
      if (i === 13) patch.repave = { state: 'Pending' } as never;
      if (i % 6 === 5) patch.phase = 'Updating';
      if (Object.keys(patch).length > 0) await updateClusterStatus(f.store.db, spec(i).name, patch);
    }
  }

  it('filters by health, Kubernetes version, labels, name prefix and part, and notice', async (t) => {
    const f = getFixture(t);
    if (!f) return;
    await seed(f);
    assert.deepEqual(
      await names(f, 'health=Degraded'),
      expected((i) => i % 4 === 1),
    );
    assert.deepEqual(
      await names(f, 'kubernetesVersion=1.31.2'),
      expected((i) => i % 5 === 2),
    );
    assert.deepEqual(
      await names(f, 'label=tier%3Dprod'),
      expected((i) => i % 10 === 0),
    );
    assert.deepEqual(
      await names(f, `label=${encodeURIComponent('tier=dev,region=us')}`),
      expected((i) => i % 10 !== 0 && i % 2 === 1),
    );
    assert.deepEqual(
      await names(f, 'namePrefix=lf-04'),
      expected((i) => i >= 40 && i < 50),
    );
    assert.deepEqual(
      await names(f, 'search=5'),
      expected((i) => String(i).padStart(3, '0').includes('5')),
    );
    assert.deepEqual(
      await names(f, 'notice=update-available'),
      expected((i) => i % 7 === 3 && i % 11 !== 4),
    );
    assert.deepEqual(
      await names(f, 'notice=drift'),
      expected((i) => i % 11 === 4),
    );
    assert.deepEqual(await names(f, 'notice=repave-pending'), [spec(13).name]);
    assert.deepEqual(await names(f, 'notice=unused'), [spec(20).name]);
    // Filters combine with each other and with the profile and phase filters.
    assert.deepEqual(
      await names(f, 'profile=web%401.1.0&health=Degraded&phase=Running'),
      expected((i) => i % 3 === 0 && i % 4 === 1 && i % 6 !== 5),
    );
    assert.deepEqual(await names(f, 'kubernetesVersion=9.9.9'), []);
    // A search's `%` and `_` are characters, not patterns.
    assert.deepEqual(await names(f, 'search=%25'), []);
    assert.deepEqual(await names(f, 'namePrefix=lf-0_'), []);
    assert.deepEqual(await names(f, 'search=lf_0'), []);
  });

  it('pages in descending name order with the cursor, neither skipping nor repeating a cluster', async (t) => {
    const f = getFixture(t);
    if (!f) return;
    await seed(f);
    assert.deepEqual(await names(f, 'sort=-name', 9), expected(() => true).reverse());
    assert.deepEqual(
      await names(f, 'sort=-name&label=region%3Deu', 4),
      expected((i) => i % 2 === 0).reverse(),
    );
  });

  it('counts what the other filters match by phase and health, in the same answer as the page', async (t) => {
    const f = getFixture(t);
    if (!f) return;
    await seed(f);
    const all = await f.call('GET', '/v1/clusters?limit=5&counts=phase&namePrefix=lf-', {
      token: f.tokens.viewer,
    });
    assert.equal(all.status, 200);
    const updating = expected((i) => i % 6 === 5).length;
    const degraded = expected((i) => i % 4 === 1).length;
    assert.deepEqual(all.json.counts, {
      total: FLEET,
      phase: { Running: FLEET - updating, Updating: updating },
      health: { Healthy: FLEET - degraded, Degraded: degraded },
    });
    assert.equal((all.json.items as unknown[]).length, 5);
    // The phase filter narrows the page, not the counts: the counts are what each phase would show.
    const us = await f.call(
      'GET',
      '/v1/clusters?counts=phase&namePrefix=lf-&label=region%3Dus&phase=Updating',
      {
        token: f.tokens.viewer,
      },
    );
    const usTotal = expected((i) => i % 2 === 1).length;
    const usUpdating = expected((i) => i % 2 === 1 && i % 6 === 5).length;
    assert.equal((us.json.counts as { total: number }).total, usTotal);
    assert.deepEqual((us.json.counts as { phase: unknown }).phase, {
      Running: usTotal - usUpdating,
      Updating: usUpdating,
    });
    assert.equal((us.json.items as unknown[]).length, usUpdating);
    // Without `counts`, the answer has none.
    const plain = await f.call('GET', '/v1/clusters?limit=1', { token: f.tokens.viewer });
    assert.equal(plain.json.counts, undefined);
  });

  it('refuses a bad filter with a 400 that names it, and lists nothing', async (t) => {
    const f = getFixture(t);
    if (!f) return;
    for (const [query, field] of [
      ['health=Fine', 'health'],
      ['notice=broken', 'notice'],
      ['label=tier', 'label'],
      ['label=%22%3B%20DROP', 'label'],
      ['sort=phase', 'sort'],
      ['kubernetesVersion=1.30%27%3B', 'kubernetesVersion'],
      ['counts=everything', 'counts'],
    ] as const) {
      const answer = await f.call('GET', `/v1/clusters?${query}`, { token: f.tokens.viewer });
      assert.equal(answer.status, 400, query);
      assert.equal(answer.json.code, 'ValidationFailed', query);
      assert.match(JSON.stringify(answer.json), new RegExp(field), query);
    }
  });
});
