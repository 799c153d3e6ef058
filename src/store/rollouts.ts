/**
 * Rollouts and their member clusters. A rollout row holds the change (from → to at a target revision), the wave
 * policy and the progress (state, current wave, halt reason); a member row holds one cluster's wave and state.
 * Member writes are batched (column arrays expanded by `unnest`), and every read is served by an index of
 * migration `0003_rollouts`. The `RolloutWaiting` condition a waiting cluster shows is written here too, in one
 * statement per batch, so a 100,000-cluster rollout never writes clusters one by one.
 */
import { sql } from 'kysely';
import { StrataError } from '../core/errors.ts';
import type { Condition } from '../core/model.ts';
import { conditionsWithout } from './clusters.ts';
import type { Executor, RolloutMemberState, RolloutState, Row } from './schema.ts';
import { staleWriteError, toJson } from './transact.ts';

export type { RolloutMemberState, RolloutState } from './schema.ts';

/** A stored rollout. */
export interface StoredRollout {
  id: string;
  /** `NAME@VERSION` the member clusters ran when the rollout started. */
  from: { profile: string; version: string };
  /** `NAME@VERSION` at the revision the rollout moves them to. */
  to: { profile: string; version: string; revision: number };
  /** Label selection (all labels must match); empty: every cluster on `from`. */
  selector: Record<string, string>;
  canary: number;
  growth: number;
  soakSeconds: number;
  progressDeadlineSeconds: number;
  maxFailures: number;
  state: RolloutState;
  waveCount: number;
  /** 1-based; the wave being applied, soaked, or (when finished) the last one reached. */
  currentWave: number;
  /** Clusters per wave, wave 1 first. */
  waveSizes: number[];
  soakUntil: Date | null;
  haltReason: string | null;
  haltCluster: string | null;
  createdBy: string;
  resourceVersion: number;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

/** A new rollout as inserted. */
export type NewRollout = Omit<
  StoredRollout,
  'resourceVersion' | 'createdAt' | 'updatedAt' | 'finishedAt' | 'soakUntil' | 'haltReason' | 'haltCluster'
>;

/** One member cluster of a rollout. */
export interface RolloutMember {
  cluster: string;
  /** 1-based wave; 0 for clusters skipped before the waves (their plan has errors). */
  wave: number;
  state: RolloutMemberState;
  /** For `skipped` and `failed`: the error code. */
  errorCode: string | null;
  message: string | null;
  appliedAt: Date | null;
  finishedAt: Date | null;
}

/** A member to insert. */
export interface NewRolloutMember {
  cluster: string;
  wave: number;
  state: RolloutMemberState;
  errorCode?: string | null;
  message?: string | null;
}

/** A member state change (batched). */
export interface RolloutMemberUpdate {
  cluster: string;
  state: RolloutMemberState;
  errorCode?: string | null;
  message?: string | null;
  /** Stamp `applied_at` now (the progress deadline counts from it). */
  applied?: boolean;
  /** Stamp `finished_at` now. */
  finished?: boolean;
}

/** Fields of a rollout a driver or command changes. */
export interface RolloutPatch {
  state?: RolloutState;
  currentWave?: number;
  soakUntil?: Date | null;
  haltReason?: string | null;
  haltCluster?: string | null;
  finished?: boolean;
}

/** Counts of members by wave and state. */
export interface WaveCounts {
  wave: number;
  counts: Partial<Record<RolloutMemberState, number>>;
  total: number;
}

/** A page of rollouts, newest first. */
export interface RolloutPage {
  items: StoredRollout[];
  nextCursor: string | null;
}

/** A page of members, by cluster name. */
export interface RolloutMemberPage {
  items: RolloutMember[];
  nextCursor: string | null;
}

/** The condition type a rollout sets on its clusters that have not moved yet. */
export const ROLLOUT_CONDITION = 'RolloutWaiting';

const BATCH = 1000;
const MAX_PAGE = 1000;

function fromRow(row: Row<'rollouts'>): StoredRollout {
  return {
    id: row.id,
    from: { profile: row.from_profile, version: row.from_version },
    to: { profile: row.to_profile, version: row.to_version, revision: row.to_revision },
    selector: row.selector,
    canary: row.canary,
    growth: row.growth,
    soakSeconds: row.soak_seconds,
    progressDeadlineSeconds: row.progress_deadline_seconds,
    maxFailures: row.max_failures,
    state: row.state,
    waveCount: row.wave_count,
    currentWave: row.current_wave,
    waveSizes: row.wave_sizes,
    soakUntil: row.soak_until,
    haltReason: row.halt_reason,
    haltCluster: row.halt_cluster,
    createdBy: row.created_by,
    resourceVersion: row.resource_version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}

function memberFromRow(row: Row<'rollout_members'>): RolloutMember {
  return {
    cluster: row.cluster,
    wave: row.wave,
    state: row.state,
    errorCode: row.error_code,
    message: row.message,
    appliedAt: row.applied_at,
    finishedAt: row.finished_at,
  };
}

/** Inserts a rollout; returns it as stored. */
export async function insertRollout(executor: Executor, rollout: NewRollout): Promise<StoredRollout> {
  const row = await executor
    .insertInto('rollouts')
    .values({
      id: rollout.id,
      from_profile: rollout.from.profile,
      from_version: rollout.from.version,
      to_profile: rollout.to.profile,
      to_version: rollout.to.version,
      to_revision: rollout.to.revision,
      selector: toJson(rollout.selector),
      canary: rollout.canary,
      growth: rollout.growth,
      soak_seconds: rollout.soakSeconds,
      progress_deadline_seconds: rollout.progressDeadlineSeconds,
      max_failures: rollout.maxFailures,
      state: rollout.state,
      wave_count: rollout.waveCount,
      current_wave: rollout.currentWave,
      wave_sizes: toJson(rollout.waveSizes),
      created_by: rollout.createdBy,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return fromRow(row);
}

/** Inserts members in batches of 1,000 rows (one statement each); returns how many. */
export async function insertRolloutMembers(
  executor: Executor,
  rolloutId: string,
  members: readonly NewRolloutMember[],
): Promise<number> {
  for (let i = 0; i < members.length; i += BATCH) {
    const b = members.slice(i, i + BATCH);
    await sql`
      INSERT INTO rollout_members (rollout_id, cluster, wave, state, error_code, message)
      SELECT ${rolloutId}, * FROM unnest(${b.map((m) => m.cluster)}::text[], ${b.map((m) => m.wave)}::int[],
        ${b.map((m) => m.state)}::text[], ${b.map((m) => m.errorCode ?? null)}::text[],
        ${b.map((m) => m.message ?? null)}::text[])`.execute(executor);
  }
  return members.length;
}

/** Returns a rollout, or undefined. */
export async function getRollout(executor: Executor, id: string): Promise<StoredRollout | undefined> {
  const row = await executor.selectFrom('rollouts').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

/** Returns a rollout locked for update in the caller's transaction, or undefined. */
export async function lockRollout(executor: Executor, id: string): Promise<StoredRollout | undefined> {
  const row = await executor
    .selectFrom('rollouts')
    .selectAll()
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

function encodeCursor(r: { createdAt: Date; id: string }): string {
  return Buffer.from(`${r.createdAt.toISOString()}|${r.id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  const [createdAt, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (!createdAt || !id || Number.isNaN(Date.parse(createdAt))) {
    throw new StrataError('BadRequest', 'cursor is not one this server returned.', { field: 'cursor' });
  }
  return { createdAt, id };
}

/** Returns a page of rollouts, newest first (optionally only in `state`). */
export async function listRollouts(
  executor: Executor,
  query: { limit?: number; cursor?: string | null; state?: RolloutState } = {},
): Promise<RolloutPage> {
  const limit = Math.max(1, Math.min(query.limit ?? 50, MAX_PAGE));
  let q = executor.selectFrom('rollouts').selectAll();
  if (query.state) q = q.where('state', '=', query.state);
  if (query.cursor) {
    const c = decodeCursor(query.cursor);
    q = q.where((eb) =>
      eb.or([
        eb('created_at', '<', new Date(c.createdAt)),
        eb.and([eb('created_at', '=', new Date(c.createdAt)), eb('id', '<', c.id)]),
      ]),
    );
  }
  const rows = await q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  const items = rows.slice(0, limit).map(fromRow);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}

/**
 * Changes a rollout (bumping its `resourceVersion`); with `expectedResourceVersion`, only if nobody changed it
 * since (`Conflict` otherwise). Returns it as stored.
 */
export async function updateRollout(
  executor: Executor,
  id: string,
  patch: RolloutPatch,
  expectedResourceVersion?: number,
): Promise<StoredRollout> {
  let q = executor
    .updateTable('rollouts')
    .set({
      ...(patch.state === undefined ? {} : { state: patch.state }),
      ...(patch.currentWave === undefined ? {} : { current_wave: patch.currentWave }),
      ...(patch.soakUntil === undefined ? {} : { soak_until: patch.soakUntil }),
      ...(patch.haltReason === undefined ? {} : { halt_reason: patch.haltReason }),
      ...(patch.haltCluster === undefined ? {} : { halt_cluster: patch.haltCluster }),
      ...(patch.finished ? { finished_at: sql`now()` } : {}),
      resource_version: sql`resource_version + 1`,
      updated_at: sql`now()`,
    })
    .where('id', '=', id);
  if (expectedResourceVersion !== undefined) q = q.where('resource_version', '=', expectedResourceVersion);
  const row = await q.returningAll().executeTakeFirst();
  if (row) return fromRow(row);
  const current = await getRollout(executor, id);
  throw staleWriteError(`Rollout ${id}`, { id }, expectedResourceVersion ?? 0, current?.resourceVersion);
}

/** Returns member counts by wave and state, as the triggers on `rollout_members` keep them (no member is read). */
export async function countRolloutMembers(executor: Executor, rolloutId: string): Promise<WaveCounts[]> {
  const rows = await executor
    .selectFrom('rollout_member_counts')
    .select(['wave', 'state', 'n'])
    .where('rollout_id', '=', rolloutId)
    .where('n', '>', 0)
    .orderBy('wave')
    .orderBy('state')
    .execute();
  const byWave = new Map<number, WaveCounts>();
  for (const r of rows) {
    const entry = byWave.get(r.wave) ?? { wave: r.wave, counts: {}, total: 0 };
    entry.counts[r.state] = Number(r.n);
    entry.total += Number(r.n);
    byWave.set(r.wave, entry);
  }
  return [...byWave.values()];
}

/** Returns a page of a rollout's members by cluster name, optionally of one wave and/or states. */
export async function listRolloutMembers(
  executor: Executor,
  rolloutId: string,
  query: {
    wave?: number;
    states?: readonly RolloutMemberState[];
    limit?: number;
    cursor?: string | null;
  } = {},
): Promise<RolloutMemberPage> {
  const limit = Math.max(1, Math.min(query.limit ?? 100, MAX_PAGE));
  let q = executor.selectFrom('rollout_members').selectAll().where('rollout_id', '=', rolloutId);
  if (query.wave !== undefined) q = q.where('wave', '=', query.wave);
  if (query.states && query.states.length > 0) q = q.where('state', 'in', [...query.states]);
  if (query.cursor) q = q.where('cluster', '>', Buffer.from(query.cursor, 'base64url').toString('utf8'));
  const rows = await q
    .orderBy('cluster')
    .limit(limit + 1)
    .execute();
  const items = rows.slice(0, limit).map(memberFromRow);
  const last = items[items.length - 1];
  return {
    items,
    nextCursor: rows.length > limit && last ? Buffer.from(last.cluster, 'utf8').toString('base64url') : null,
  };
}

/** Returns the rollouts a cluster belongs to with its state in each, newest rollout last. */
export async function rolloutsOfCluster(
  executor: Executor,
  cluster: string,
): Promise<Array<{ rolloutId: string; member: RolloutMember }>> {
  const rows = await executor
    .selectFrom('rollout_members')
    .selectAll()
    .where('cluster', '=', cluster)
    .orderBy('rollout_id')
    .execute();
  return rows.map((r) => ({ rolloutId: r.rollout_id, member: memberFromRow(r) }));
}

/** Writes member state changes in batches (one statement per 1,000); returns how many rows changed. */
export async function updateRolloutMembers(
  executor: Executor,
  rolloutId: string,
  updates: readonly RolloutMemberUpdate[],
): Promise<number> {
  let changed = 0;
  for (let i = 0; i < updates.length; i += BATCH) {
    const b = updates.slice(i, i + BATCH);
    const result = await sql`
      UPDATE rollout_members AS m SET
        state = u.state,
        error_code = CASE WHEN u.keep_error THEN m.error_code ELSE u.error_code END,
        message = CASE WHEN u.keep_error THEN m.message ELSE u.message END,
        applied_at = CASE WHEN u.applied THEN now() ELSE m.applied_at END,
        finished_at = CASE WHEN u.finished THEN now() ELSE m.finished_at END,
        updated_at = now()
      FROM unnest(${b.map((u) => u.cluster)}::text[], ${b.map((u) => u.state)}::text[],
        ${b.map((u) => u.errorCode ?? null)}::text[], ${b.map((u) => u.message ?? null)}::text[],
        ${b.map((u) => u.errorCode === undefined && u.message === undefined)}::boolean[],
        ${b.map((u) => u.applied === true)}::boolean[], ${b.map((u) => u.finished === true)}::boolean[])
        AS u(cluster, state, error_code, message, keep_error, applied, finished)
      WHERE m.rollout_id = ${rolloutId} AND m.cluster = u.cluster`.execute(executor);
    changed += Number(result.numAffectedRows ?? 0);
  }
  return changed;
}

/**
 * Sets (or, with `condition` null, removes) the `RolloutWaiting` condition on clusters, one statement per 1,000
 * names; bumps their status version so a reconciler that read the old status retries. Returns how many changed.
 */
export async function setRolloutCondition(
  executor: Executor,
  clusters: readonly string[],
  condition: Omit<Condition, 'type' | 'lastTransitionTime'> | null,
  now: string,
): Promise<number> {
  let changed = 0;
  // Rows are locked in name order, as every batch writer of clusters locks them (updateClusterSpecs): a bitmap
  // scan would lock them in heap order, and two writers locking in different orders deadlock.
  const sorted = [...new Set(clusters)].sort();
  for (let i = 0; i < sorted.length; i += BATCH) {
    const names = sorted.slice(i, i + BATCH);
    await sql`SELECT 1 FROM clusters WHERE name = ANY(${names}::text[]) ORDER BY name FOR UPDATE`.execute(
      executor,
    );
    const rest = conditionsWithout(ROLLOUT_CONDITION);
    const result = condition
      ? await sql`
          UPDATE clusters AS c SET
            status = jsonb_set(c.status, '{conditions}', ${rest} || ${toJson([
              { type: ROLLOUT_CONDITION, ...condition, lastTransitionTime: now },
            ])}::jsonb),
            status_version = c.status_version + 1, updated_at = now()
          WHERE c.name = ANY(${names}::text[])`.execute(executor)
      : await sql`
          UPDATE clusters AS c SET
            status = jsonb_set(c.status, '{conditions}', ${rest}),
            status_version = c.status_version + 1, updated_at = now()
          WHERE c.name = ANY(${names}::text[])
            AND c.status->'conditions' @> ${toJson([{ type: ROLLOUT_CONDITION }])}::jsonb`.execute(executor);
    changed += Number(result.numAffectedRows ?? 0);
  }
  return changed;
}
