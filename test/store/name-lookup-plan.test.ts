/**
 * Batch reads of clusters by name (`name = ANY(…)`: the rollout gate, a batch's specs, the group commit's status
 * versions) must be planned as key lookups, never through the name search's trigram index: pg_trgm serves
 * equality too, and on a freshly written table the planner took it — one read of 1,000 clusters by name cost
 * 1 s instead of milliseconds in the rollout benchmark. The search still finds a part of a name, in any case.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { sql } from 'kysely';
import { createClusters, getStatusVersions, listClusters } from '../../src/store/clusters.ts';
import { forEachDriver } from '../support/stores.ts';
import { clusterSpec } from './fixtures.ts';

forEachDriver((_driver, getStore) => {
  it('plans a batch lookup by name without the trigram index, and the search still uses names', async (t) => {
    const store = getStore(t);
    if (!store) return;
    const names = Array.from({ length: 300 }, (_, i) => `plan-${String(i).padStart(4, '0')}`);
    await createClusters(
      store.db,
      { actor: 'tester' },
      names.map((n) => clusterSpec(n)),
    );
    const { rows } = await sql<{ 'QUERY PLAN': unknown }>`
      EXPLAIN (FORMAT JSON) SELECT name, status_version FROM clusters WHERE name = ANY(${names}::text[])`.execute(
      store.db,
    );
    const plan = JSON.stringify(rows);
    assert.doesNotMatch(plan, /trigram/, `the lookup by name used the trigram index: ${plan}`);
    const versions = await getStatusVersions(store.db, [...names.slice(0, 3), 'plan-missing']);
    assert.deepEqual([...versions.keys()].sort(), names.slice(0, 3));
    const found = await listClusters(store.db, { search: 'AN-012' });
    assert.deepEqual(
      found.items.map((c) => c.name),
      names.filter((n) => n.includes('an-012')),
      'the search folds its own case and finds the part of a name',
    );
  });
});
