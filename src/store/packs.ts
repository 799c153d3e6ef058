/**
 * Packs: the built-in catalog (loaded at every start) and user-registered packs. A pack is immutable once
 * stored — a changed pack is a new version — so packs carry a resourceVersion only for the catalog refresh.
 */
import { sql } from 'kysely';
import { StrataError } from '../core/errors.ts';
import type { LayerKind, Pack } from '../core/model.ts';
import { type AuditContext, recordAudit } from './audit.ts';
import type { Executor, Row } from './schema.ts';
import { toJson, withTransaction } from './transact.ts';

/** A stored pack. */
export interface StoredPack extends Pack {
  resourceVersion: number;
}

/** Filters for listing packs. */
export interface PackQuery {
  layer?: LayerKind;
  name?: string;
}

function fromRow(row: Row<'packs'>): StoredPack {
  // Packs stored before pack kinds existed are Strata-format packs.
  const pack = row.doc as Pack;
  return { ...pack, kind: pack.kind ?? 'strata', resourceVersion: row.resource_version };
}

function rowOf(pack: Pack) {
  return {
    name: pack.name,
    version: pack.version,
    layer: pack.layer,
    source: pack.source,
    doc: toJson(pack),
  };
}

/**
 * Loads the built-in catalog: inserts new packs, replaces changed built-in ones, leaves identical ones untouched.
 * Returns how many rows changed; only those are audited, so a restart writes nothing.
 */
export async function syncBuiltinPacks(
  executor: Executor,
  audit: AuditContext,
  packs: Pack[],
): Promise<number> {
  if (packs.length === 0) return 0;
  return withTransaction(executor, async (trx) => {
    let changed = 0;
    for (let i = 0; i < packs.length; i += 500) {
      const batch = packs.slice(i, i + 500).map((p) => rowOf({ ...p, source: 'builtin' }));
      const rows = await trx
        .insertInto('packs')
        .values(batch)
        .onConflict((oc) =>
          oc
            .columns(['name', 'version'])
            .doUpdateSet({
              doc: (eb) => eb.ref('excluded.doc'),
              layer: (eb) => eb.ref('excluded.layer'),
              resource_version: sql`packs.resource_version + 1`,
              updated_at: sql`now()`,
            })
            .where('packs.source', '=', 'builtin')
            .where(sql<boolean>`packs.doc IS DISTINCT FROM excluded.doc`),
        )
        .returning(['name', 'version', 'resource_version'])
        .execute();
      changed += rows.length;
      await recordAudit(
        trx,
        audit,
        rows.map((r) => ({
          action: r.resource_version === 1 ? 'pack.add-builtin' : 'pack.update-builtin',
          targetKind: 'pack',
          target: `${r.name}@${r.version}`,
          before: null,
          after: { resourceVersion: r.resource_version },
        })),
      );
    }
    return changed;
  });
}

/** Registers a user pack and returns it; `AlreadyExists` when that name@version is taken (packs are immutable). */
export async function registerPack(executor: Executor, audit: AuditContext, pack: Pack): Promise<StoredPack> {
  return withTransaction(executor, async (trx) => {
    const row = await trx
      .insertInto('packs')
      .values(rowOf({ ...pack, source: 'user' }))
      .onConflict((oc) => oc.columns(['name', 'version']).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!row) {
      throw new StrataError(
        'AlreadyExists',
        `Pack ${pack.name}@${pack.version} already exists; register a new version.`,
        {
          name: pack.name,
          version: pack.version,
        },
      );
    }
    await recordAudit(trx, audit, [
      {
        action: 'pack.register',
        targetKind: 'pack',
        target: `${pack.name}@${pack.version}`,
        before: null,
        after: {},
      },
    ]);
    return fromRow(row);
  });
}

/** Returns one pack, or undefined when there is no such name@version. */
export async function getPack(
  executor: Executor,
  name: string,
  version: string,
): Promise<StoredPack | undefined> {
  const row = await executor
    .selectFrom('packs')
    .selectAll()
    .where('name', '=', name)
    .where('version', '=', version)
    .executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

/** Returns the packs named in `refs` in one query (for resolving a profile's layers). */
export async function getPacks(
  executor: Executor,
  refs: readonly { name: string; version: string }[],
): Promise<StoredPack[]> {
  if (refs.length === 0) return [];
  const rows = await executor
    .selectFrom('packs')
    .selectAll()
    .where((eb) => eb.or(refs.map((r) => eb.and([eb('name', '=', r.name), eb('version', '=', r.version)]))))
    .execute();
  return rows.map(fromRow);
}

/** Returns packs ordered by name and version, optionally of one layer or one name. */
export async function listPacks(executor: Executor, query: PackQuery = {}): Promise<StoredPack[]> {
  let q = executor.selectFrom('packs').selectAll();
  if (query.layer !== undefined) q = q.where('layer', '=', query.layer);
  if (query.name !== undefined) q = q.where('name', '=', query.name);
  const rows = await q.orderBy('name').orderBy('version').execute();
  return rows.map(fromRow);
}

/** Deletes a user pack; returns nothing. Built-in packs cannot be deleted (`Forbidden`). */
export async function deletePack(
  executor: Executor,
  audit: AuditContext,
  name: string,
  version: string,
): Promise<void> {
  await withTransaction(executor, async (trx) => {
    const row = await trx
      .deleteFrom('packs')
      .where('name', '=', name)
      .where('version', '=', version)
      .where('source', '=', 'user')
      .returning('source')
      .executeTakeFirst();
    if (!row) {
      const existing = await getPack(trx, name, version);
      if (existing)
        throw new StrataError('Forbidden', `Pack ${name}@${version} is built in and cannot be deleted.`, {
          name,
          version,
        });
      throw new StrataError('NotFound', `Pack ${name}@${version} not found.`, { name, version });
    }
    await recordAudit(trx, audit, [
      { action: 'pack.delete', targetKind: 'pack', target: `${name}@${version}`, before: {}, after: null },
    ]);
  });
}
