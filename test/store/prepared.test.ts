import assert from 'node:assert/strict';
import { it } from 'node:test';
import { sql } from 'kysely';
import { createClusters, getClusterJson, listClustersJson } from '../../src/store/clusters.ts';
import { forEachDriver } from '../support/stores.ts';
import { clusterSpec } from './fixtures.ts';

forEachDriver((driver, getStore) => {
  it('runs the cluster read and list page as named prepared statements, with the same answers', async (t) => {
    const store = getStore(t);
    if (!store) return;
    await createClusters(store.db, { actor: 'test' }, [clusterSpec('prep-a'), clusterSpec('prep-b')]);
    // One transaction: one connection, whose prepared statements pg_prepared_statements shows.
    await store.db.transaction().execute(async (trx) => {
      const first = await getClusterJson(trx, 'prep-a');
      const again = await getClusterJson(trx, 'prep-a');
      assert.equal(again, first);
      assert.equal(JSON.parse(first ?? 'null').name, 'prep-a');
      assert.equal(await getClusterJson(trx, 'prep-missing'), undefined);
      const oneRow = driver === 'pglite';
      const page = JSON.parse(await listClustersJson(trx, { limit: 1 }, 'summary', { oneRow }));
      const next = JSON.parse(
        await listClustersJson(trx, { limit: 1, cursor: page.nextCursor }, 'summary', { oneRow }),
      );
      assert.deepEqual(
        [...page.items, ...next.items]
          .map((c: { name: string }) => c.name)
          .filter((n: string) => n.startsWith('prep-')),
        ['prep-a', 'prep-b'],
      );
      const prepared = await sql<{ name: string; statement: string }>`
        SELECT name, statement FROM pg_prepared_statements WHERE name LIKE 'strata_%'`.execute(trx);
      assert.ok(
        prepared.rows.some((r) => r.statement.includes('"doc" from "clusters"')),
        'the single read is a named statement',
      );
      assert.ok(
        prepared.rows.some((r) => r.statement.includes('summary')),
        'the list page is a named statement',
      );
      assert.ok(
        prepared.rows.every((r) => r.statement.includes('/* strata:prepared */')),
        'only marked queries are named',
      );
    });
  });
});
