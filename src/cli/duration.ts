/** Durations on the command line: `90s`, `10m`, `1h`, `500ms`, or a bare number of seconds. */
import { StrataError } from '../core/errors.ts';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Returns the duration in milliseconds; throws `ValidationFailed` naming the option for anything else. */
export function parseDuration(text: string, option: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) {
    throw new StrataError(
      'ValidationFailed',
      `${option} must be a duration like 90s, 10m or 1h; got "${text}".`,
      {
        field: option,
      },
    );
  }
  return Math.round(Number(match[1]) * UNITS[match[2] ?? 's']!);
}
