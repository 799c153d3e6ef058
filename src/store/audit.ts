/**
 * The audit log: who changed what, when, with a short before/after summary. Mutating repository functions
 * write it themselves, in the same transaction as the change, so no change goes unrecorded.
 */
import { sql } from 'kysely';
import type { Executor } from './schema.ts';
import { toJson } from './transact.ts';

/** Who is making a change (a token's name, `system`, a user). */
export interface AuditContext {
  actor: string;
}

/** What kind of thing an audit row is about. */
export type AuditTargetKind =
  | 'pack'
  | 'profile'
  | 'cluster'
  | 'token'
  | 'operation'
  | 'inventory'
  | 'registry';

/** One audit row. */
export interface AuditEntry {
  id: number;
  at: Date;
  actor: string;
  /** Verb-like, e.g. `profile.edit`, `cluster.create`. */
  action: string;
  targetKind: AuditTargetKind;
  /** The target's key, e.g. `web@1.0.0` or a cluster name. */
  target: string;
  /** A small summary of the state before (not the whole document); null for creations. */
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

/** A change to record. */
export type AuditRecord = Omit<AuditEntry, 'id' | 'at' | 'actor'>;

/** Filters for reading the log, newest first. */
export interface AuditQuery {
  targetKind?: AuditTargetKind;
  target?: string;
  actor?: string;
  /** Only rows older than this id (the cursor of the previous page). */
  beforeId?: number;
  limit?: number;
}

/** Writes audit rows for changes made through `executor` (call it inside the change's transaction). */
export async function recordAudit(
  executor: Executor,
  context: AuditContext,
  records: AuditRecord[],
): Promise<void> {
  if (records.length === 0) return;
  // One JSON parameter for the whole batch: fleet-wide changes write thousands of rows at once.
  const rows = records.map((r) => ({ ...r, before: r.before ?? undefined, after: r.after ?? undefined }));
  await sql`
    INSERT INTO audit_log (actor, action, target_kind, target, before, after)
    SELECT ${context.actor}, r->>'action', r->>'targetKind', r->>'target', r->'before', r->'after'
    FROM jsonb_array_elements(${toJson(rows)}::jsonb) AS r`.execute(executor);
}

/** Returns audit rows, newest first, filtered by target and/or actor (each filter has an index). */
export async function listAudit(executor: Executor, query: AuditQuery = {}): Promise<AuditEntry[]> {
  let q = executor.selectFrom('audit_log').selectAll();
  if (query.targetKind !== undefined) q = q.where('target_kind', '=', query.targetKind);
  if (query.target !== undefined) q = q.where('target', '=', query.target);
  if (query.actor !== undefined) q = q.where('actor', '=', query.actor);
  if (query.beforeId !== undefined) q = q.where('id', '<', query.beforeId);
  const rows = await q
    .orderBy('id', 'desc')
    .limit(Math.min(query.limit ?? 100, 1000))
    .execute();
  return rows.map((r) => ({
    id: r.id,
    at: r.at,
    actor: r.actor,
    action: r.action,
    targetKind: r.target_kind as AuditTargetKind,
    target: r.target,
    before: r.before as Record<string, unknown> | null,
    after: r.after as Record<string, unknown> | null,
  }));
}
