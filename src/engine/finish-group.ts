/**
 * Group commit of reconcile passes. Sixteen passes finishing at once each used to open their own transaction:
 * lease check, writes, events, step update, commit — six round trips apiece. Here a pass hands its ending to
 * the group and waits: while one group's transaction runs, the next gathers, and it ends all of its passes in
 * one transaction (`finishReconcileSteps`), their store writes as one statement per kind of write for the whole
 * group (`commitWritesBatch`). A pass whose status read went stale is skipped and put back due now
 * without failing the others; if the group's transaction fails for another reason, each of its passes is ended
 * alone, so one bad pass cannot fail the rest.
 */
import {
  type FinishItem,
  type FinishItemResult,
  finishReconcileSteps,
  type GroupEffect,
} from '../store/reconcile-queue.ts';
import type { Executor } from '../store/schema.ts';

/** Passes ended in one transaction at most. */
const GROUP_LIMIT = 64;

interface Waiting {
  item: FinishItem;
  resolve(result: FinishItemResult): void;
  reject(error: unknown): void;
}

/** Ends reconcile passes in groups; `finish` resolves when the pass's group has committed. */
export class FinishGroup {
  private readonly waiting: Waiting[] = [];
  private draining = false;

  constructor(
    private readonly executor: Executor,
    /** Writes the `grouped` data of a group's passes (see `FinishItem.grouped`). */
    private readonly groupEffect?: GroupEffect,
  ) {}

  /** Ends one pass with the next group; resolves with how it ended, or rejects with the error it alone met. */
  finish(item: FinishItem): Promise<FinishItemResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.waiting.length > 0) {
        const group = this.waiting.splice(0, GROUP_LIMIT);
        try {
          const results = await finishReconcileSteps(
            this.executor,
            group.map((w) => w.item),
            this.groupEffect,
          );
          for (const [i, w] of group.entries()) w.resolve(results[i] as FinishItemResult);
        } catch (error) {
          if (group.length === 1) {
            group[0]?.reject(error);
            continue;
          }
          await Promise.all(
            group.map((w) =>
              finishReconcileSteps(this.executor, [w.item], this.groupEffect).then(
                ([result]) => w.resolve(result as FinishItemResult),
                w.reject,
              ),
            ),
          );
        }
      }
    } finally {
      this.draining = false;
    }
  }
}
