/** Shared output of the benchmarks: one JSON line per figure for machines, one plain line for people. */

/** Prints a figure as a JSON line and a human sentence. */
export function reportFigure(
  scenario: string,
  figures: Record<string, number | string>,
  human: string,
): void {
  console.log(JSON.stringify({ scenario, ...figures }));
  console.log(`  ${human}`);
}

/** Returns the p-th percentile (0–100) of already-sorted numbers. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/** The fleet-size multiplier from `STRATA_BENCH_SCALE` (default 1). */
export const benchScale = Number(process.env.STRATA_BENCH_SCALE ?? '1') || 1;

/** Returns `n` scaled by `STRATA_BENCH_SCALE`, at least 1. */
export function scaled(n: number): number {
  return Math.max(1, Math.round(n * benchScale));
}

/** Resident set size in MiB. */
export function rssMiB(): number {
  return Math.round(process.memoryUsage().rss / 1048576);
}

/** Samples this process's RSS every 200 ms; `peak()` is the highest since the start or the last `reset()`. */
export function sampleRss(): { peak(): number; reset(): void; stop(): void } {
  let peak = rssMiB();
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMiB());
  }, 200);
  return {
    peak: () => Math.max(peak, rssMiB()),
    reset: () => {
      peak = rssMiB();
    },
    stop: () => clearInterval(timer),
  };
}
