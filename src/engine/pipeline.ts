/**
 * The worker's pipeline of queue steps. It keeps up to `concurrency` steps running and more claimed, and claims
 * again as soon as fewer than half the slots' worth wait — never waiting for a whole batch to end before it
 * claims the next, so one slow step (a rollout applying a batch, a cluster behind a slow API server) holds one
 * slot, not all.
 *
 * Claimed steps that wait their turn keep their lease: every third of the lease, the leases of the steps held
 * and not finished are renewed (one statement for all of them). Otherwise, on a slow store (the embedded one
 * serializes every query), a lapsed step would be claimed again — by another worker or by this one — and done
 * twice while the fleet churns.
 *
 * Claims are paced: after a claim that found less than it asked for (the queue has nothing more due), the next
 * waits for a step to end (its follow-up may be due at once) — at most one claim per `minClaimGapMs` — or for
 * `idleMs`, or for `wake()`.
 */
import type { ClaimedStep } from '../store/queue.ts';

/** What the pipeline needs from the worker. */
export interface PipelineOptions {
  /** Steps run at once. */
  concurrency: number;
  /** Steps held at most: running plus claimed and waiting their turn. */
  limit: number;
  leaseMs: number;
  /** Wait between claims while the queue has nothing due. */
  idleMs: number;
  /** Claims at most this often while the queue has less due than the pipeline has room for (default 20 ms). */
  minClaimGapMs?: number;
  /** Claims up to `limit` steps. */
  claim(limit: number): Promise<ClaimedStep[]>;
  /** Renews the leases of the given held steps. */
  heartbeat(steps: ClaimedStep[]): Promise<void>;
  run(step: ClaimedStep): Promise<void>;
  onError(error: unknown): void;
}

/** A running pipeline: `wake()` claims at once; `stop()` ends it after the held steps have run. */
export interface Pipeline {
  wake(): void;
  stop(): Promise<void>;
}

/** Starts a pipeline of steps. */
export function startPipeline(options: PipelineOptions): Pipeline {
  const minGap = options.minClaimGapMs ?? 20;
  const held = new Set<ClaimedStep>();
  const waiting: ClaimedStep[] = [];
  let active = 0;
  let stopped = false;
  let woken = false;
  let endedSinceClaim = false;
  let lastClaimFull = true;
  let lastClaimAt = 0;
  let notify: (() => void) | null = null;
  const poke = () => {
    const n = notify;
    notify = null;
    n?.();
  };
  /** Waits for a step to end, a wake, or `ms`. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        notify = null;
        resolve();
      }, ms);
      notify = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const renew = setInterval(
    () => {
      if (held.size > 0) options.heartbeat([...held]).catch(options.onError);
    },
    Math.max(50, Math.floor(options.leaseMs / 3)),
  );

  const start = (step: ClaimedStep) => {
    active += 1;
    options
      .run(step)
      .catch(options.onError)
      .finally(() => {
        active -= 1;
        held.delete(step);
        endedSinceClaim = true;
        poke();
      });
  };

  /**
   * Steps waiting their turn below which the pipeline claims more: half the slots, so a deep queue is claimed a
   * batch at a time (a claim is a few statements), not one step per step that ends.
   */
  const lowWater = Math.max(1, Math.floor(options.concurrency / 2));
  /** How long until the next claim may run (0: now); null while the pipeline is full. */
  const claimDelay = (now: number): number | null => {
    if (stopped || held.size >= options.limit || waiting.length >= lowWater) return null;
    if (woken || lastClaimFull) return 0;
    const sinceClaim = now - lastClaimAt;
    if (endedSinceClaim) return Math.max(0, minGap - sinceClaim);
    return Math.max(0, options.idleMs - sinceClaim);
  };

  const loop = async () => {
    while (!stopped || active > 0 || waiting.length > 0) {
      const now = Date.now();
      if (claimDelay(now) === 0) {
        woken = false;
        endedSinceClaim = false;
        lastClaimAt = now;
        const room = options.limit - held.size;
        let claimed: ClaimedStep[] = [];
        try {
          claimed = await options.claim(room);
        } catch (error) {
          if (!stopped) options.onError(error);
        }
        lastClaimFull = claimed.length === room;
        for (const step of claimed) {
          held.add(step);
          waiting.push(step);
        }
      }
      while (active < options.concurrency && waiting.length > 0) start(waiting.shift() as ClaimedStep);
      const delay = claimDelay(Date.now());
      if (delay === 0) continue;
      if (active === 0 && waiting.length === 0 && stopped) break;
      await pause(delay ?? options.idleMs);
    }
    clearInterval(renew);
  };
  const done = loop();
  return {
    wake() {
      woken = true;
      poke();
    },
    async stop() {
      stopped = true;
      poke();
      await done;
    },
  };
}
