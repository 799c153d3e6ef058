/**
 * The periodic resync, paced and shared: one durable walker step for the whole store (deduplicated, so several
 * engine processes share it) pages through the Running clusters and queues a resync reconcile for a page at a
 * time, in the resync queue. It takes the next page only when the queue has worked off the last one, and starts
 * the next pass `resyncMs` after the last one started — so a fleet of 100,000 is walked once per interval by one
 * process at the speed the workers reconcile, never all queued at once and never once per process.
 */
import { sql } from 'kysely';
import { listClusterNames } from '../store/clusters.ts';
import type { Executor } from '../store/schema.ts';
import { queueResync, RESYNC_QUEUE, STEP } from './work.ts';

/** Clusters queued per walker run. */
export const RESYNC_PAGE = 1000;

/** Where a resync pass is: the cursor after the last page queued, and when the pass started (ms since epoch). */
export interface ResyncWalk {
  cursor: string | null;
  passStartedAt: number | null;
}

/** What one walker run did, and when and how it runs next. */
export interface ResyncStep {
  /** Clusters queued by this run. */
  queued: number;
  /** Run again after this long: 0 for the next page, the rest of the interval after the last page. */
  afterMs: number;
  /** The walk's state for the next run. */
  next: ResyncWalk;
  /** True when this run waited for the queue to work off the last page. */
  waited: boolean;
}

/** Pacing of the walker. */
export interface ResyncPacing {
  resyncMs: number;
  now: number;
  /** How long to wait while the resync queue still holds a page's worth of reconciles. */
  backlogWaitMs: number;
  /** Clusters per page (default `RESYNC_PAGE`). */
  page?: number;
}

/** Pending resync reconciles, counted up to `limit` (an index range read, never the whole queue). */
export async function resyncBacklog(executor: Executor, limit: number): Promise<number> {
  const row = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM (
      SELECT 1 FROM steps WHERE queue = ${RESYNC_QUEUE} AND state = 'pending' AND kind = ${STEP.reconcile}
      LIMIT ${limit}
    ) AS backlog`.execute(executor);
  return row.rows[0]?.n ?? 0;
}

/** Runs the walker once from `walk` (null: a new pass): queues the next page of Running clusters, or waits. */
export async function resyncPage(
  executor: Executor,
  walk: ResyncWalk | null,
  pacing: ResyncPacing,
): Promise<ResyncStep> {
  const page = pacing.page ?? RESYNC_PAGE;
  const current: ResyncWalk = walk ?? { cursor: null, passStartedAt: null };
  if ((await resyncBacklog(executor, page)) >= page) {
    return { queued: 0, afterMs: pacing.backlogWaitMs, next: current, waited: true };
  }
  const startedAt = current.passStartedAt ?? pacing.now;
  const { names, nextCursor } = await listClusterNames(executor, {
    phase: 'Running',
    limit: page,
    cursor: current.cursor,
  });
  if (names.length > 0) await queueResync(executor, names);
  if (nextCursor) {
    return {
      queued: names.length,
      afterMs: 0,
      next: { cursor: nextCursor, passStartedAt: startedAt },
      waited: false,
    };
  }
  return {
    queued: names.length,
    afterMs: Math.max(0, startedAt + pacing.resyncMs - pacing.now),
    next: { cursor: null, passStartedAt: null },
    waited: false,
  };
}
