/**
 * Shared pieces of the benchmarks: one JSON line per figure for machines and one plain line for people, the
 * fleet scale, RSS sampling, and which stores to run on.
 */
import pg from 'pg';

/** Prints a figure as a JSON line and a human sentence. */
export function reportFigure(
  scenario: string,
  figures: Record<string, number | string | Record<string, number> | Array<Record<string, number>>>,
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

/** The PostgreSQL the benchmarks use: `STRATA_BENCH_DATABASE_URL`, default the local test server. */
export const benchDatabaseUrl =
  process.env.STRATA_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The store drivers asked for in `STRATA_BENCH_DRIVERS` (default both). */
export const benchDrivers = (process.env.STRATA_BENCH_DRIVERS ?? 'pglite,postgres').split(',');

/** Returns true when `benchDatabaseUrl` accepts a connection within a few seconds. */
export async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: benchDatabaseUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}
