import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import {
  clusterDocument,
  clusterSummary,
  createClusters,
  getCluster,
  getClusterJson,
  listClustersJson,
  updateClusterStatus,
} from '../../src/store/clusters.ts';
import { migrations } from '../../src/store/migrations.ts';
import { countRolloutMembers, updateRolloutMembers } from '../../src/store/rollouts.ts';
import type { Database } from '../../src/store/schema.ts';
import { clusterSpec } from './fixtures.ts';

const int8AsNumber = ((oid: number, format?: 'text' | 'binary') =>
  oid === 20 ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser;

let pglite: PGlite;
let db: Kysely<Database>;
before(async () => {
  pglite = await PGlite.create('memory://');
  db = new Kysely<Database>({
    dialect: new PostgresDialect({
      // int8 read as a number, as the store does (open.ts).
      pool: new pg.Pool({ ...createPgConfig(pglite), max: 1, types: { getTypeParser: int8AsNumber } }),
    }),
  });
});
after(async () => {
  await db.destroy();
  await pglite.close();
});

it('upgrading a store with clusters renders their API documents and list summaries, so reads and lists still find them', async () => {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const toRollouts = await migrator.migrateTo('0003_rollouts');
  assert.equal(toRollouts.error, undefined);
  // Written by the code of an earlier release: no document column yet. (Today's code writes through the same
  // columns; `doc` and `summary` are the trigger's alone.)
  await createClusters(db, { actor: 'alice' }, [clusterSpec('old-1'), clusterSpec('old-2')]);
  await updateClusterStatus(db, 'old-1', {
    phase: 'Running',
    engine: { nodes: { pools: [] } },
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'Running',
        message: 'Running.',
        lastTransitionTime: '2026-12-01T00:00:00.000Z',
      },
      {
        type: 'Drifted',
        status: 'True',
        reason: 'Drift',
        message: '1 object.',
        lastTransitionTime: '2026-12-01T00:00:00.000Z',
      },
    ],
  });
  const latest = await migrator.migrateTo('0005_cluster_summary');
  assert.equal(latest.error, undefined);
  assert.deepEqual(
    latest.results?.map((r) => r.migrationName),
    ['0004_cluster_document', '0005_cluster_summary'],
  );
  const old1 = (await getCluster(db, 'old-1'))!;
  assert.deepEqual(
    JSON.parse((await getClusterJson(db, 'old-1')) ?? 'null'),
    JSON.parse(JSON.stringify(clusterDocument(old1))),
  );
  const listed = JSON.parse(await listClustersJson(db));
  assert.deepEqual(
    listed.items.map((c: { name: string }) => c.name),
    ['old-1', 'old-2'],
  );
  assert.deepEqual(listed.items[0], JSON.parse(JSON.stringify(clusterSummary(old1))));
  assert.deepEqual(
    listed.items[0].status.conditions.map((c: { type: string }) => c.type),
    ['Drifted'],
  );
});

it('upgrading a store with rollouts counts their members, and the counts then follow every member change', async () => {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  // Written by an earlier release: a rollout with members and no counts table.
  await sql`INSERT INTO rollouts (id, from_profile, from_version, to_profile, to_version, to_revision, canary,
      growth, soak_seconds, progress_deadline_seconds, max_failures, state, wave_count, current_wave, wave_sizes,
      created_by)
    VALUES ('ro-old', 'p', '1.0.0', 'p', '1.1.0', 1, 1, 4, 0, 600, 0, 'Running', 2, 1, '[1, 3]', 'alice')`.execute(
    db,
  );
  await sql`INSERT INTO rollout_members (rollout_id, cluster, wave, state) VALUES
    ('ro-old', 'a', 1, 'healthy'), ('ro-old', 'b', 2, 'applying'), ('ro-old', 'c', 2, 'waiting'),
    ('ro-old', 'd', 2, 'waiting'), ('ro-old', 'e', 0, 'skipped')`.execute(db);
  const upgraded = await migrator.migrateToLatest();
  assert.equal(upgraded.error, undefined);
  assert.deepEqual(
    upgraded.results?.map((r) => r.migrationName),
    ['0006_rollout_member_counts', '0007_claim_by_queue', '0008_unique_token_names'],
  );
  const counted = async () =>
    (await countRolloutMembers(db, 'ro-old')).map((w) => [w.wave, w.counts, w.total]);
  assert.deepEqual(await counted(), [
    [0, { skipped: 1 }, 1],
    [1, { healthy: 1 }, 1],
    [2, { applying: 1, waiting: 2 }, 3],
  ]);
  await updateRolloutMembers(db, 'ro-old', [
    { cluster: 'b', state: 'healthy', finished: true },
    { cluster: 'c', state: 'applying', applied: true },
    { cluster: 'd', state: 'applying', applied: true },
  ]);
  await sql`DELETE FROM rollout_members WHERE cluster = 'e'`.execute(db);
  assert.deepEqual(await counted(), [
    [1, { healthy: 1 }, 1],
    [2, { applying: 2, healthy: 1 }, 3],
  ]);
});
