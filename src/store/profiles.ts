/**
 * Profiles: each version points at its current revision; an in-place edit appends a revision and bumps the
 * current one, so every revision stays readable (for diffs and for clusters still running an older one).
 */
import { sql } from 'kysely';
import { StrataError } from '../core/errors.ts';
import type { CloudType, ProfileLayer, ProfileType, ProfileVersion } from '../core/model.ts';
import { type AuditContext, recordAudit } from './audit.ts';
import type { Executor, Row } from './schema.ts';
import { staleWriteError, toJson, withTransaction } from './transact.ts';

/** A profile version at its current revision, with its concurrency and provenance fields. */
export interface StoredProfileVersion extends ProfileVersion {
  resourceVersion: number;
  createdAt: Date;
  createdBy: string;
  updatedAt: Date;
}

/** One revision of a profile version as it was saved. */
export interface ProfileRevision {
  name: string;
  version: string;
  revision: number;
  description: string;
  layers: ProfileLayer[];
  createdAt: Date;
  createdBy: string;
}

/** An in-place edit of a profile version, conditional on the version the editor read. */
export interface ProfileEdit {
  name: string;
  version: string;
  expectedResourceVersion: number;
  layers: ProfileLayer[];
  description?: string;
}

function profileKey(name: string, version: string): string {
  return `${name}@${version}`;
}

function toStored(
  v: Row<'profile_versions'>,
  r: Pick<Row<'profile_revisions'>, 'layers'>,
): StoredProfileVersion {
  return {
    name: v.name,
    version: v.version,
    revision: v.revision,
    type: v.type as ProfileType,
    cloudType: v.cloud_type as CloudType,
    description: v.description,
    layers: r.layers as ProfileLayer[],
    resourceVersion: v.resource_version,
    createdAt: v.created_at,
    createdBy: v.created_by,
    updatedAt: v.updated_at,
  };
}

/** Creates a profile version at revision 1 and returns it; `AlreadyExists` when name@version is taken. */
export async function createProfileVersion(
  executor: Executor,
  audit: AuditContext,
  profile: Omit<ProfileVersion, 'revision'>,
): Promise<StoredProfileVersion> {
  return withTransaction(executor, async (trx) => {
    const version = await trx
      .insertInto('profile_versions')
      .values({
        name: profile.name,
        version: profile.version,
        revision: 1,
        type: profile.type,
        cloud_type: profile.cloudType,
        description: profile.description,
        created_by: audit.actor,
      })
      .onConflict((oc) => oc.columns(['name', 'version']).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!version) {
      throw new StrataError(
        'AlreadyExists',
        `Profile ${profileKey(profile.name, profile.version)} already exists; edit it or create another version.`,
        { name: profile.name, version: profile.version },
      );
    }
    const revision = await trx
      .insertInto('profile_revisions')
      .values({
        name: profile.name,
        version: profile.version,
        revision: 1,
        description: profile.description,
        layers: toJson(profile.layers),
        created_by: audit.actor,
      })
      .returning('layers')
      .executeTakeFirstOrThrow();
    await recordAudit(trx, audit, [
      {
        action: 'profile.create',
        targetKind: 'profile',
        target: profileKey(profile.name, profile.version),
        before: null,
        after: { revision: 1, layers: profile.layers.map((l) => `${l.pack}@${l.version}`) },
      },
    ]);
    return toStored(version, revision);
  });
}

/**
 * Edits a profile version in place: appends the next revision and makes it current; returns the new state.
 * `Conflict` `{expected, actual}` when the version changed since the editor read it.
 */
export async function editProfileVersion(
  executor: Executor,
  audit: AuditContext,
  edit: ProfileEdit,
): Promise<StoredProfileVersion> {
  return withTransaction(executor, async (trx) => {
    const version = await trx
      .updateTable('profile_versions')
      .set({
        revision: sql`revision + 1`,
        resource_version: sql`resource_version + 1`,
        updated_at: sql`now()`,
        ...(edit.description === undefined ? {} : { description: edit.description }),
      })
      .where('name', '=', edit.name)
      .where('version', '=', edit.version)
      .where('resource_version', '=', edit.expectedResourceVersion)
      .returningAll()
      .executeTakeFirst();
    if (!version) {
      const current = await trx
        .selectFrom('profile_versions')
        .select('resource_version')
        .where('name', '=', edit.name)
        .where('version', '=', edit.version)
        .executeTakeFirst();
      throw staleWriteError(
        `Profile ${profileKey(edit.name, edit.version)}`,
        { name: edit.name, version: edit.version },
        edit.expectedResourceVersion,
        current?.resource_version,
      );
    }
    const revision = await trx
      .insertInto('profile_revisions')
      .values({
        name: edit.name,
        version: edit.version,
        revision: version.revision,
        description: version.description,
        layers: toJson(edit.layers),
        created_by: audit.actor,
      })
      .returning('layers')
      .executeTakeFirstOrThrow();
    await recordAudit(trx, audit, [
      {
        action: 'profile.edit',
        targetKind: 'profile',
        target: profileKey(edit.name, edit.version),
        before: { revision: version.revision - 1 },
        after: { revision: version.revision },
      },
    ]);
    return toStored(version, revision);
  });
}

/** Returns a profile version at its current revision, or undefined. */
export async function getProfileVersion(
  executor: Executor,
  name: string,
  version: string,
): Promise<StoredProfileVersion | undefined> {
  const rows = await listProfileVersionsWhere(executor, name, version);
  return rows[0];
}

/** Returns a profile version as it was at `revision` (current metadata, that revision's layers), or undefined. */
export async function getProfileAtRevision(
  executor: Executor,
  name: string,
  version: string,
  revision: number,
): Promise<ProfileVersion | undefined> {
  const row = await executor
    .selectFrom('profile_revisions as r')
    .innerJoin('profile_versions as v', (j) =>
      j.onRef('v.name', '=', 'r.name').onRef('v.version', '=', 'r.version'),
    )
    .select(['r.name', 'r.version', 'r.revision', 'r.layers', 'r.description', 'v.type', 'v.cloud_type'])
    .where('r.name', '=', name)
    .where('r.version', '=', version)
    .where('r.revision', '=', revision)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    name: row.name,
    version: row.version,
    revision: row.revision,
    type: row.type as ProfileType,
    cloudType: row.cloud_type as CloudType,
    description: row.description,
    layers: row.layers as ProfileLayer[],
  };
}

/** Returns every revision of a profile version, oldest first (the edit history). */
export async function listProfileRevisions(
  executor: Executor,
  name: string,
  version: string,
): Promise<ProfileRevision[]> {
  const rows = await executor
    .selectFrom('profile_revisions')
    .selectAll()
    .where('name', '=', name)
    .where('version', '=', version)
    .orderBy('revision')
    .execute();
  return rows.map((r) => ({
    name: r.name,
    version: r.version,
    revision: r.revision,
    description: r.description,
    layers: r.layers as ProfileLayer[],
    createdAt: r.created_at,
    createdBy: r.created_by,
  }));
}

/** Returns profile versions at their current revisions, by name then version; all versions of `name` if given. */
export async function listProfileVersions(
  executor: Executor,
  name?: string,
): Promise<StoredProfileVersion[]> {
  return listProfileVersionsWhere(executor, name, undefined);
}

async function listProfileVersionsWhere(
  executor: Executor,
  name: string | undefined,
  version: string | undefined,
): Promise<StoredProfileVersion[]> {
  let q = executor
    .selectFrom('profile_versions as v')
    .innerJoin('profile_revisions as r', (j) =>
      j
        .onRef('r.name', '=', 'v.name')
        .onRef('r.version', '=', 'v.version')
        .onRef('r.revision', '=', 'v.revision'),
    )
    .selectAll('v')
    .select('r.layers');
  if (name !== undefined) q = q.where('v.name', '=', name);
  if (version !== undefined) q = q.where('v.version', '=', version);
  const rows = await q.orderBy('v.name').orderBy('v.version').execute();
  return rows.map((row) => toStored(row, row));
}

/**
 * Deletes a profile version and its history; returns nothing. Refused (`Conflict`) while clusters use it,
 * and on a stale `expectedResourceVersion`.
 */
export async function deleteProfileVersion(
  executor: Executor,
  audit: AuditContext,
  name: string,
  version: string,
  expectedResourceVersion: number,
): Promise<void> {
  await withTransaction(executor, async (trx) => {
    const users = await trx
      .selectFrom('cluster_profiles')
      .select('cluster')
      .where('profile', '=', name)
      .where('version', '=', version)
      .limit(5)
      .execute();
    if (users.length > 0) {
      throw new StrataError(
        'Conflict',
        `Profile ${profileKey(name, version)} is attached to clusters (${users.map((u) => u.cluster).join(', ')}); detach it first.`,
        { name, version, clusters: users.map((u) => u.cluster) },
      );
    }
    const deleted = await trx
      .deleteFrom('profile_versions')
      .where('name', '=', name)
      .where('version', '=', version)
      .where('resource_version', '=', expectedResourceVersion)
      .returning('revision')
      .executeTakeFirst();
    if (!deleted) {
      const current = await getProfileVersion(trx, name, version);
      throw staleWriteError(
        `Profile ${profileKey(name, version)}`,
        { name, version },
        expectedResourceVersion,
        current?.resourceVersion,
      );
    }
    await recordAudit(trx, audit, [
      {
        action: 'profile.delete',
        targetKind: 'profile',
        target: profileKey(name, version),
        before: { revision: deleted.revision },
        after: null,
      },
    ]);
  });
}
