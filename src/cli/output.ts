/**
 * How commands print results: `-o table` (default, for people), `-o json` (the API's JSON as is) or
 * `-o yaml`; and errors as one line with their code, or as JSON on stderr under `-o json`.
 */
import { isStrataError } from '../core/errors.ts';

/** Output formats of `-o`. */
export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
/** An output format. */
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Where commands write; tests and `strata up` can pass their own. */
export interface Printer {
  out(text: string): void;
  err(text: string): void;
}

/** Writes to the process's stdout and stderr. */
export const processPrinter: Printer = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

/** Returns rows as an aligned table with a header line (kubectl style: upper-case headers, two spaces apart). */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers.map((h) => h.toUpperCase())), ...rows.map(line)].join('\n');
}

// The YAML writer, loaded only for `-o yaml`: the yaml package alone took longer to load than the rest of a start.
let yamlText: ((data: unknown) => string) | undefined;

/** Loads what printing in `format` needs (the YAML writer for `yaml`); the program calls it before any action. */
export async function loadOutputFormat(format: OutputFormat): Promise<void> {
  if (format !== 'yaml' || yamlText) return;
  const [{ default: YAML }, { VALUES_STRINGIFY_OPTIONS }] = await Promise.all([
    import('yaml'),
    import('../core/values.ts'),
  ]);
  yamlText = (data) => YAML.stringify(data, VALUES_STRINGIFY_OPTIONS);
}

/** Prints `data` as JSON or YAML, or the `table` text for the table format. */
export function printResult(
  printer: Printer,
  format: OutputFormat,
  data: unknown,
  table: () => string,
): void {
  if (format === 'json') printer.out(JSON.stringify(data, null, 2));
  else if (format === 'yaml') {
    if (!yamlText) throw new Error('printResult: -o yaml before loadOutputFormat("yaml")');
    printer.out(yamlText(data));
  } else printer.out(table());
}

/** Returns ` (request ID req-…)` for a server failure that names its request (to quote when reporting it), else ''. */
function requestIdNote(details: Record<string, unknown>): string {
  return typeof details.requestId === 'string' ? ` Request ID: ${details.requestId}.` : '';
}

/** Prints an error: `error: <message> [<code>]`, or the `{code, message, details}` JSON on stderr for `-o json`. */
export function printError(printer: Printer, format: OutputFormat, error: unknown): void {
  if (isStrataError(error)) {
    if (format === 'json') printer.err(JSON.stringify(error.toJSON(), null, 2));
    else printer.err(`error: ${error.message}${requestIdNote(error.details)} [${error.code}]`);
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (format === 'json') printer.err(JSON.stringify({ code: 'Internal', message, details: {} }, null, 2));
  else printer.err(`error: ${message} [Internal]`);
}

/** Returns a short age like `5m`, `3h`, `2d` for a timestamp. */
export function age(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}
