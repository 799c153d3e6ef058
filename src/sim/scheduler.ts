/**
 * The simulator's one timer: a time-ordered queue of wake-ups (node boots, pod starts), keyed so that each key
 * holds only its earliest wake-up. Fleets reach 100,000 clusters, so there is never a timer per cluster.
 * Time comes from an injectable clock; with a hand-moved clock, call `runDue()` after moving it.
 */
import type { Clock } from '../core/clock.ts';

interface Entry {
  at: number;
  key: string;
}

/** Wakes keys (cluster names) at given times through a single `setTimeout`. */
export class WakeScheduler {
  private readonly heap: Entry[] = [];
  private readonly earliest = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly onWake: (key: string) => void,
  ) {}

  /** Asks for `key` to be woken at `at` (epoch ms); an earlier pending wake-up of the same key wins. */
  wakeAt(key: string, at: number): void {
    if (this.stopped) return;
    const current = this.earliest.get(key);
    if (current !== undefined && current <= at) return;
    this.earliest.set(key, at);
    this.push({ at, key });
    this.arm();
  }

  /** True when `key` has a pending wake-up. */
  isPending(key: string): boolean {
    return this.earliest.has(key);
  }

  /** Returns when `key` is next woken (epoch ms), if it has a pending wake-up. */
  pendingAt(key: string): number | undefined {
    return this.earliest.get(key);
  }

  /** Number of keys waiting. */
  get pendingCount(): number {
    return this.earliest.size;
  }

  /** Wakes every key whose time has come; returns how many were woken. */
  runDue(): number {
    const now = this.clock.now();
    let woken = 0;
    while (this.heap.length > 0 && this.heap[0]!.at <= now) {
      const e = this.pop()!;
      if (this.earliest.get(e.key) !== e.at) continue;
      this.earliest.delete(e.key);
      woken += 1;
      this.onWake(e.key);
    }
    // A timer armed for a time that has now been run (a hand-moved clock) would hold back the next wake-up.
    if (this.timer && this.timerAt <= now) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
    }
    this.arm();
    return woken;
  }

  /** Cancels every wake-up and the timer. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.heap.length = 0;
    this.earliest.clear();
  }

  private arm(): void {
    const next = this.heap[0];
    if (!next || this.stopped) return;
    if (this.timer && this.timerAt <= next.at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = next.at;
    const delay = Math.max(0, next.at - this.clock.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      this.runDue();
    }, delay);
    this.timer.unref();
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.at <= h[i]!.at) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l]!.at < h[m]!.at) m = l;
        if (r < h.length && h[r]!.at < h[m]!.at) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }
}
