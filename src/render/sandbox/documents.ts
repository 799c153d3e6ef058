/**
 * Multi-document YAML (a template's output, a chart's rendered manifests, plain manifest files) read into plain
 * JSON documents under limits: the YAML 1.2 core schema, aliases expanding at most 100 times, at most
 * `maxDocuments` documents. Runs in a render worker, so a hostile text costs that worker, not the server.
 */
import YAML from 'yaml';
import { StrataError, type StrataErrorCode } from '../../core/errors.ts';

/** Aliases may expand at most this often in rendered YAML (more is a YAML bomb). */
const MAX_ALIAS_COUNT = 100;

/** Who a text belongs to, for error messages: `Pack demo@1.0.0: template app.yaml`. */
export interface DocumentsSource {
  /** The sentence's subject, e.g. `Pack demo@1.0.0: template app.yaml renders`. */
  subject: string;
  code: StrataErrorCode;
  details: Record<string, unknown>;
}

/** Returns the non-empty documents of a YAML text as plain data; throws `source.code` naming the line. */
export function parseDocuments(text: string, source: DocumentsSource, maxDocuments: number): unknown[] {
  let docs: YAML.Document.Parsed[];
  try {
    docs = YAML.parseAllDocuments(text, { schema: 'core', uniqueKeys: false }) as YAML.Document.Parsed[];
  } catch (error) {
    throw new StrataError(source.code, `${source.subject} YAML that cannot be read: ${firstLine(error)}`, {
      ...source.details,
      line: null,
    });
  }
  const list = Array.isArray(docs) ? docs : [docs];
  if (list.length > maxDocuments) {
    throw new StrataError(
      source.code,
      `${source.subject} ${list.length} YAML documents; at most ${maxDocuments} are allowed.`,
      { ...source.details, documents: list.length, limit: maxDocuments },
    );
  }
  const out: unknown[] = [];
  for (const doc of list) {
    const problem = doc.errors[0];
    if (problem) {
      const line = problem.linePos?.[0]?.line;
      throw new StrataError(
        source.code,
        `${source.subject} invalid YAML${line ? ` at output line ${line}` : ''}: ${firstLine(problem)}`,
        { ...source.details, line: line ?? null },
      );
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      const reason = /excessive alias count/i.test(firstLine(error))
        ? `aliases that expand more than ${MAX_ALIAS_COUNT} times (refused as a YAML bomb)`
        : `YAML that cannot be read: ${firstLine(error)}`;
      throw new StrataError(source.code, `${source.subject} ${reason}`, { ...source.details, line: null });
    }
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

/** Returns the first line of an error's message. */
export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
