/**
 * Cluster events: the human-readable feed of what happened to a cluster (provisioned, repave approved, object
 * restored after drift). Appended by the engine; read newest first, or after an id for live tails.
 */
import type { Executor } from './schema.ts';
import { toJson } from './transact.ts';

/** Event severities, as in Kubernetes. */
export type EventType = 'Normal' | 'Warning';

/** An event to record. */
export interface EventInput {
  cluster: string;
  type: EventType;
  /** A CamelCase reason, e.g. `RepaveApproved`. */
  reason: string;
  message: string;
  details?: Record<string, unknown>;
}

/** A recorded event; `id` increases with time and serves as the live-tail cursor. */
export interface ClusterEvent extends Required<EventInput> {
  id: number;
  at: Date;
}

/** Filters for reading a cluster's events. */
export interface EventQuery {
  /** Only events with a larger id (for tails: pass the last id seen); returns oldest first then. */
  afterId?: number;
  limit?: number;
}

/** Appends events in one multi-row insert; returns their ids. */
export async function recordEvents(executor: Executor, events: readonly EventInput[]): Promise<number[]> {
  if (events.length === 0) return [];
  const rows = await executor
    .insertInto('events')
    .values(
      events.map((e) => ({
        cluster: e.cluster,
        type: e.type,
        reason: e.reason,
        message: e.message,
        details: toJson(e.details ?? {}),
      })),
    )
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/** Returns a cluster's events: the newest `limit` (newest first), or those after `afterId` (oldest first). */
export async function listEvents(
  executor: Executor,
  cluster: string,
  query: EventQuery = {},
): Promise<ClusterEvent[]> {
  const limit = Math.min(query.limit ?? 100, 1000);
  let q = executor.selectFrom('events').selectAll().where('cluster', '=', cluster);
  q =
    query.afterId === undefined
      ? q.orderBy('id', 'desc')
      : q.where('id', '>', query.afterId).orderBy('id', 'asc');
  const rows = await q.limit(limit).execute();
  return rows.map((r) => ({
    id: r.id,
    cluster: r.cluster,
    type: r.type as EventType,
    reason: r.reason,
    message: r.message,
    details: r.details as Record<string, unknown>,
    at: r.at,
  }));
}
