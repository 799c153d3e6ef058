/**
 * Time and identity come in through these small interfaces so core and engine stay deterministic in tests
 * and simulated time can run fast.
 */
import { randomBytes } from 'node:crypto';

/** A source of the current time. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private current = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.current;
  }
  /** Moves time forward by `ms`. */
  advance(ms: number): void {
    this.current += ms;
  }
}

/** A source of unique identifiers. */
export interface IdSource {
  /** Returns a new identifier, `prefix` first. */
  next(prefix: string): string;
}

/** Random identifiers (crypto-strong, 12 hex chars after the prefix). */
export const randomIds: IdSource = { next: (prefix) => `${prefix}${randomBytes(6).toString('hex')}` };

/** Sequential identifiers for tests: `prefix1`, `prefix2`, … */
export class SequentialIds implements IdSource {
  private n = 0;
  next(prefix: string): string {
    this.n += 1;
    return `${prefix}${this.n}`;
  }
}
