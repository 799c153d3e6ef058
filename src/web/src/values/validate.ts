/**
 * Values validation in the browser with the very rules the server applies (`core/values.ts` is pure: it uses
 * only the `yaml` package), so the editor flags exactly what a save would refuse — before the save.
 */
import { isStrataError } from '../../../core/errors.ts';
import { parseValues } from '../../../core/values.ts';

/** A values problem: the server's sentence and where it is (1-based). */
export interface ValuesProblem {
  message: string;
  line: number;
  column: number;
}

/** Returns null for valid values text, else the problem the server would report for it. */
export function validateValues(text: string, field = 'values'): ValuesProblem | null {
  try {
    parseValues(text, field);
    return null;
  } catch (error) {
    if (isStrataError(error)) {
      const line = typeof error.details.line === 'number' ? error.details.line : 1;
      const column = typeof error.details.column === 'number' ? error.details.column : 1;
      return { message: error.message, line, column };
    }
    return { message: error instanceof Error ? error.message : String(error), line: 1, column: 1 };
  }
}

/** The marker the 3-way merge leaves on a conflicting key (a YAML comment). */
export const CONFLICT_MARKER_TEXT = 'strata: conflict';

/** Returns the 1-based lines of `text` that carry a conflict marker. */
export function conflictLines(text: string): number[] {
  const lines: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.includes(CONFLICT_MARKER_TEXT)) lines.push(i + 1);
  });
  return lines;
}
