/**
 * One active token per name, held by the database (migration 0008) rather than by a read-then-insert: 50 parallel
 * creations of one name make one token and 49 answers 409 `AlreadyExists`, on PGlite and on PostgreSQL. A revoked
 * token's name may be reused; duplicates made before the constraint are renamed, not revoked.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { ensureAdminToken } from '../../src/api/admin-token.ts';
import { migrations } from '../../src/store/migrations.ts';
import type { Database } from '../../src/store/schema.ts';
import { forEachApiDriver } from './fixture.ts';

forEachApiDriver((getFixture) => {
  it('creates one token of 50 parallel requests for one name; the other 49 are 409 AlreadyExists', async (t) => {
    const f = getFixture(t);
    if (!f) return;
    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        f.call('POST', '/v1/tokens', { body: { name: 'racer', role: 'viewer' } }),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    assert.deepEqual(
      [statuses.filter((s) => s === 201).length, statuses.filter((s) => s === 409).length],
      [1, 49],
      JSON.stringify(answers.filter((a) => a.status !== 201 && a.status !== 409).map((a) => a.text)),
    );
    const loser = answers.find((a) => a.status === 409)!;
    assert.equal(loser.json.code, 'AlreadyExists');
    assert.deepEqual(loser.json.details, { field: 'name', name: 'racer' });
    const list = await f.call('GET', '/v1/tokens');
    const racers = (list.json.items as Array<{ name: string; revokedAt: string | null }>).filter(
      (tk) => tk.name === 'racer',
    );
    assert.equal(racers.length, 1);
    const created = (
      await f.store.db.selectFrom('audit_log').select('id').where('action', '=', 'token.create').execute()
    ).length;
    assert.ok(created >= 1);
  });

  it('lets a revoked name be used again, and still refuses a second active one', async (t) => {
    const f = getFixture(t);
    if (!f) return;
    assert.equal(
      (await f.call('POST', '/v1/tokens', { body: { name: 'reused', role: 'viewer' } })).status,
      201,
    );
    assert.equal((await f.call('DELETE', '/v1/tokens/reused')).status, 200);
    const again = await f.call('POST', '/v1/tokens', { body: { name: 'reused', role: 'operator' } });
    assert.equal(again.status, 201, again.text);
    const twice = await f.call('POST', '/v1/tokens', { body: { name: 'reused', role: 'operator' } });
    assert.equal(twice.status, 409);
  });

  it('gives a second home on a shared store its own admin token name instead of failing to start', async (t) => {
    const f = getFixture(t);
    if (!f) return;
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const other = await ensureAdminToken(f.store, mkdtempSync(join(tmpdir(), 'strata-home-')));
    assert.equal(other.created, true);
    const list = await f.call('GET', '/v1/tokens');
    const admins = (list.json.items as Array<{ name: string; revokedAt: string | null }>).filter(
      (tk) => tk.name.startsWith('admin') && tk.revokedAt === null,
    );
    assert.equal(new Set(admins.map((a) => a.name)).size, admins.length, 'active names are unique');
    assert.ok(admins.length >= 2);
  });
});

it('migration 0008 renames duplicate active names (the newest keeps its name), leaves revoked ones and audits it', async () => {
  const pglite = await PGlite.create('memory://');
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ ...createPgConfig(pglite), max: 1 }) }),
  });
  try {
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    assert.equal((await migrator.migrateTo('0007_claim_by_queue')).error, undefined);
    await sql`INSERT INTO api_tokens (id, name, token_hash, role, created_at, created_by, revoked_at) VALUES
      ('tok-000000000001', 'ci', 'h1', 'viewer', '2026-01-01', 'alice', NULL),
      ('tok-000000000002', 'ci', 'h2', 'viewer', '2026-01-02', 'alice', NULL),
      ('tok-000000000003', 'ci', 'h3', 'operator', '2026-01-03', 'alice', NULL),
      ('tok-000000000004', 'ci', 'h4', 'viewer', '2025-12-01', 'alice', '2025-12-02'),
      ('tok-000000000005', 'solo', 'h5', 'viewer', '2026-01-01', 'alice', NULL)`.execute(db);
    const latest = await migrator.migrateToLatest();
    assert.equal(latest.error, undefined);
    const rows = await db
      .selectFrom('api_tokens')
      .select(['id', 'name', 'revoked_at'])
      .orderBy('id')
      .execute();
    assert.deepEqual(
      rows.map((r) => [r.id, r.name]),
      [
        ['tok-000000000001', 'ci-dup-000000000001'],
        ['tok-000000000002', 'ci-dup-000000000002'],
        ['tok-000000000003', 'ci'],
        ['tok-000000000004', 'ci'],
        ['tok-000000000005', 'solo'],
      ],
    );
    assert.ok(
      rows.every((r) => r.id !== 'tok-000000000004' || r.revoked_at !== null),
      'nothing is revoked',
    );
    const audit = await db
      .selectFrom('audit_log')
      .select(['actor', 'action', 'target', 'before', 'after'])
      .where('action', '=', 'token.rename')
      .orderBy('target')
      .execute();
    assert.deepEqual(
      audit.map((a) => [a.actor, a.target, a.before, a.after]),
      [
        ['system', 'tok-000000000001', { name: 'ci' }, { name: 'ci-dup-000000000001' }],
        ['system', 'tok-000000000002', { name: 'ci' }, { name: 'ci-dup-000000000002' }],
      ],
    );
    await assert.rejects(
      sql`INSERT INTO api_tokens (id, name, token_hash, role, created_by) VALUES ('tok-x', 'solo', 'hx', 'viewer', 'a')`.execute(
        db,
      ),
      /api_tokens_active_name/,
    );
  } finally {
    await db.destroy();
    await pglite.close();
  }
});
