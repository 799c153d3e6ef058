/**
 * A layer's values: safe parsing of the YAML text, value paths (`a.b["x.y"][0]`), semantic equality and
 * leaf-level diffs. The 3-way merge (`values-merge.ts`) and presets (`presets.ts`) build on these.
 */
import YAML, { type Document, isAlias, isMap, isPair, isScalar, isSeq, type Node, YAMLMap } from 'yaml';
import { StrataError } from './errors.ts';
import type { ValuePath } from './model.ts';
import type { SecretPaths } from './secret-paths.ts';

/**
 * One leaf-level difference between two values texts. Maps recurse; a list is a leaf (compared as a
 * whole), because list items have no stable identity to pair them by.
 */
export interface ValueChange {
  /** The formatted value path (`kubelet.extraArgs.max-pods`, `a["x.y"]`). */
  path: string;
  kind: 'added' | 'removed' | 'changed';
  /** The value before (absent for `added`). */
  from?: unknown;
  /** The value after (absent for `removed`). */
  to?: unknown;
}

/** Plain data of a values text: a mapping from keys to JSON-like values. */
export type ValuesData = Readonly<Record<string, unknown>>;

/** Aliases may expand at most this often; more is refused as a YAML bomb (a resource exhaustion attack). */
export const MAX_ALIAS_COUNT = 100;

/**
 * Parse options for every values text: the YAML 1.2 core schema only — no custom tags and none of the
 * YAML 1.1 extras (`!!binary`, `!!timestamp`, `!!set`, merge keys) — and duplicate keys refused.
 */
export const VALUES_PARSE_OPTIONS = {
  version: '1.2',
  schema: 'core',
  merge: false,
  resolveKnownTags: false,
  uniqueKeys: true,
  strict: true,
  prettyErrors: false,
} as const;

/** How values are written back: no folding of long strings, lists indented under their key. */
export const VALUES_STRINGIFY_OPTIONS = { lineWidth: 0, flowCollectionPadding: false } as const;

/**
 * Returns the values text parsed into a YAML Document (comments and layout kept), refusing anything
 * that is not plain configuration: syntax errors, unknown tags (`!!js/function`, `!custom`), duplicate
 * keys, YAML bombs, non-scalar keys, control characters, and a top level that is not a mapping. An empty text gives an
 * empty mapping. Errors are `InvalidYaml` naming `field`, the line and the column.
 */
export function parseValues(text: string, field: string): Document {
  const control = CONTROL_CHARACTER.exec(text);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    throw invalidYaml(field, text, `control character U+${code} is not allowed in YAML`, control.index);
  }
  const doc = YAML.parseDocument(text, VALUES_PARSE_OPTIONS);
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    const message =
      problem.code === 'TAG_RESOLVE_FAILED'
        ? `${problem.message.replace(/^Unresolved tag: /, 'unsupported tag ')} (values are plain YAML: custom tags are not allowed)`
        : lowerFirst(problem.message);
    throw invalidYaml(field, text, message, problem.pos[0]);
  }
  if (doc.contents === null) {
    doc.contents = new YAMLMap() as unknown as typeof doc.contents;
    return doc;
  }
  const root = doc.contents;
  if (!isMap(root)) {
    const kind = isSeq(root) ? 'a list' : 'a single value';
    throw invalidYaml(
      field,
      text,
      `the top level must be a mapping (key: value), not ${kind}`,
      rangeStart(root),
    );
  }
  const aliasAt = checkNodes(root, field, text);
  if (aliasAt !== undefined) {
    try {
      doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const problem = /excessive alias count/i.test(reason)
        ? `aliases expand more than ${MAX_ALIAS_COUNT} times, which is refused as a YAML bomb`
        : lowerFirst(reason);
      throw invalidYaml(field, text, problem, aliasAt);
    }
  }
  return doc;
}

/** Returns the values text as plain JS data (a fresh copy the caller may change); throws like `parseValues`. */
export function valuesToObject(text: string, field: string): Record<string, unknown> {
  return structuredClone(valuesData(text, field)) as Record<string, unknown>;
}

/**
 * Returns the values text as plain data, shared and deeply frozen. Parses are cached by text because a
 * plan compares the same few layer texts many thousands of times a second.
 */
export function valuesData(text: string, field: string): ValuesData {
  return readValues(text, field).data;
}

/**
 * Returns the plain data of a values text and, when reading it took a parse (the text was not cached),
 * that fresh Document too, so a caller that needs both parses each text only once.
 */
export function readValues(text: string, field: string): { data: ValuesData; doc: Document | undefined } {
  const cached = dataCache.get(text);
  if (cached !== undefined) {
    // Re-inserting keeps the Map's insertion order a least-recently-used order.
    dataCache.delete(text);
    dataCache.set(text, cached);
    return { data: cached, doc: undefined };
  }
  const doc = parseValues(text, field);
  const data = deepFreeze(documentData(doc));
  if (dataCache.size >= DATA_CACHE_SIZE) dataCache.delete(dataCache.keys().next().value as string);
  dataCache.set(text, data);
  return { data, doc };
}

/** Returns the plain data of a Document produced by `parseValues` (an empty document gives `{}`). */
export function documentData(doc: Document): Record<string, unknown> {
  const data: unknown = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  return isPlainObject(data) ? data : {};
}

/** Returns the path as text: `a.b.c`, keys with dots, brackets, quotes or spaces as `a["x.y"]`, indexes as `a[0]`. */
export function formatPath(path: ValuePath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (PLAIN_SEGMENT.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

/** Returns the segments of a path written as `formatPath` writes it (`''` is the root: no segments). */
export function parsePath(text: string): ValuePath {
  const segments: (string | number)[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '[') {
      const close = bracketEnd(text, i);
      const inner = text.slice(i + 1, close);
      if (/^(0|[1-9]\d*)$/.test(inner)) segments.push(Number(inner));
      else if (inner.startsWith('"')) segments.push(parseQuotedSegment(text, inner, i));
      else throw badPath(text, i, 'a bracket holds a list index or a "quoted key"');
      i = close + 1;
      continue;
    }
    if (ch === '.') {
      if (segments.length === 0) throw badPath(text, i, 'a path cannot start with a dot');
      i += 1;
    } else if (segments.length > 0) {
      throw badPath(text, i, 'segments are separated by dots');
    }
    let end = i;
    while (end < text.length && text[end] !== '.' && text[end] !== '[') end += 1;
    const key = text.slice(i, end);
    if (!PLAIN_SEGMENT.test(key))
      throw badPath(text, i, 'a key with dots, brackets, quotes or spaces is written ["key"]');
    segments.push(key);
    i = end;
  }
  return segments;
}

/**
 * Returns the leaf-level changes from `before` to `after`, sorted by path. Maps recurse; lists and scalars
 * are leaves. Comments, key order and formatting are not changes.
 */
export function diffValues(before: string, after: string): ValueChange[] {
  if (before === after) return [];
  const changes: ValueChange[] = [];
  diffMaps(valuesData(before, 'before'), valuesData(after, 'after'), [], changes);
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** True when two values texts hold the same data, whatever their comments, key order and formatting. */
export function valuesEqual(a: string, b: string): boolean {
  return a === b || sameValue(valuesData(a, 'a'), valuesData(b, 'b'));
}

/**
 * True when formatted `path` is `prefix` or lies below it (`a.b.c` and `a.b[0]` are below `a.b`; `a.bc`
 * is not). The empty prefix holds every path. Used to match changed paths against node-impact paths.
 */
export function pathStartsWith(path: string, prefix: string): boolean {
  if (prefix === '') return true;
  if (!path.startsWith(prefix)) return false;
  if (path.length === prefix.length) return true;
  const next = path[prefix.length];
  return next === '.' || next === '[';
}

/** True when two plain data values (as `toJS` gives them) are deeply equal; map key order is ignored. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    // NaN is the one value not equal to itself; `.nan` in both texts is no change.
    return Number.isNaN(a) && Number.isNaN(b);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => sameValue(item, b[i]));
  }
  const aKeys = Object.keys(a);
  if (aKeys.length !== Object.keys(b).length) return false;
  const bRecord = b as Record<string, unknown>;
  return aKeys.every(
    (k) => Object.hasOwn(bRecord, k) && sameValue((a as Record<string, unknown>)[k], bRecord[k]),
  );
}

/** True for a plain mapping (not a list, not null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Returns the key of a map entry as text, the way `toJS` names it (a null key is `''`). */
export function keyText(key: unknown): string {
  const value = isScalar(key) ? key.value : key;
  return value === null || value === undefined ? '' : String(value);
}

/** YAML allows only printable characters; C0 controls other than tab and line breaks, and DEL, are refused. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

const DATA_CACHE_SIZE = 512;
const dataCache = new Map<string, ValuesData>();

/** Keys written bare in a path: no dots, brackets, quotes or whitespace, not empty. */
const PLAIN_SEGMENT = /^[^.[\]"'\s]+$/;

function diffMaps(a: ValuesData, b: ValuesData, path: (string | number)[], out: ValueChange[]): void {
  for (const key of Object.keys(a)) {
    const from = a[key];
    if (!Object.hasOwn(b, key)) {
      leafChanges(from, [...path, key], 'removed', out);
      continue;
    }
    const to = b[key];
    if (isPlainObject(from) && isPlainObject(to)) diffMaps(from, to, [...path, key], out);
    else if (!sameValue(from, to)) out.push({ path: formatPath([...path, key]), kind: 'changed', from, to });
  }
  for (const key of Object.keys(b)) {
    if (!Object.hasOwn(a, key)) leafChanges(b[key], [...path, key], 'added', out);
  }
}

/** Lists every leaf of an added or removed subtree (an empty map is a leaf of its own). */
function leafChanges(
  value: unknown,
  path: (string | number)[],
  kind: 'added' | 'removed',
  out: ValueChange[],
): void {
  if (isPlainObject(value) && Object.keys(value).length > 0) {
    for (const [key, child] of Object.entries(value)) leafChanges(child, [...path, key], kind, out);
    return;
  }
  out.push(
    kind === 'added'
      ? { path: formatPath(path), kind, to: value }
      : { path: formatPath(path), kind, from: value },
  );
}

/**
 * Checks every map key below `node` is a scalar (paths name keys as text) and returns the source offset
 * of the first alias, if any, so the caller can bound alias expansion.
 */
function checkNodes(node: unknown, field: string, text: string): number | undefined {
  if (isAlias(node)) return rangeStart(node);
  let aliasAt: number | undefined;
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isScalar(pair.key)) {
        throw invalidYaml(
          field,
          text,
          'map keys must be plain values, not lists, maps or aliases',
          rangeStart(pair.key),
        );
      }
      aliasAt ??= checkNodes(pair.value, field, text);
    }
  } else if (isSeq(node)) {
    for (const item of node.items) {
      // A sequence item that is a Pair is the `[a: 1]` shorthand for a one-key map.
      aliasAt ??= checkNodes(isPair(item) ? item.value : item, field, text);
    }
  }
  return aliasAt;
}

function rangeStart(node: unknown): number {
  return (node as Node | null)?.range?.[0] ?? 0;
}

function invalidYaml(field: string, text: string, problem: string, offset: number): StrataError {
  const { line, column } = lineAndColumn(text, offset);
  return new StrataError('InvalidYaml', `${field}: ${problem} at line ${line}, column ${column}`, {
    field,
    line,
    column,
  });
}

/** Returns the 1-based line and column of a source offset. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(Math.max(offset, 0), text.length);
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) {
    line += 1;
    lineStart = i + 1;
  }
  return { line, column: end - lineStart + 1 };
}

function lowerFirst(message: string): string {
  return message.charAt(0).toLowerCase() + message.slice(1);
}

function bracketEnd(text: string, open: number): number {
  let i = open + 1;
  if (text[i] === '"') {
    // Skip the JSON string, honouring backslash escapes, to find the bracket that closes it.
    for (i += 1; i < text.length && text[i] !== '"'; i += text[i] === '\\' ? 2 : 1);
    i += 1;
  } else {
    while (i < text.length && text[i] !== ']') i += 1;
  }
  if (text[i] !== ']') throw badPath(text, open, 'an opening bracket is not closed');
  return i;
}

function parseQuotedSegment(text: string, quoted: string, at: number): string {
  try {
    const value: unknown = JSON.parse(quoted);
    if (typeof value === 'string') return value;
  } catch {
    // Reported below with the path and the column.
  }
  throw badPath(text, at, 'a quoted key must be a JSON string');
}

function badPath(text: string, index: number, reason: string): StrataError {
  return new StrataError(
    'ValidationFailed',
    `path: '${text}' is not a value path (${reason}) at column ${index + 1}`,
    {
      field: 'path',
      path: text,
      column: index + 1,
    },
  );
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Value paths whose last key names a credential (password, secret, token, private or API key, credentials).
 * Plans shown to people — the CLI's text plan, the console — say such a value changes but never print it:
 * plans end up in scrollback, CI logs, screenshots and tickets.
 */
const CREDENTIAL_WORDS = 'password|passwd|secret|token|privatekey|apikey|credential';
const CREDENTIAL_KEY = new RegExp(`(${CREDENTIAL_WORDS})s?$`, 'i');
const CREDENTIAL_ANYWHERE = new RegExp(CREDENTIAL_WORDS, 'i');

/** Returns true when the last key of a dotted value path names a credential (see `CREDENTIAL_KEY`). */
export function isCredentialPath(path: string): boolean {
  const last = path.split('.').pop() ?? path;
  return CREDENTIAL_KEY.test(last.replace(/[-_]/g, ''));
}

/** What a hidden credential value reads as. */
export const HIDDEN_VALUE = '(hidden)';

/**
 * Returns a values text with the value of every credential key (`isCredentialPath` of the key: a password,
 * token, secret, …) and of every path `declared` covers (paths a pack declares secret, `secret-paths.ts`)
 * replaced by `(hidden)` — a nested map or list under such a key as a whole — keeping comments and layout. Text
 * without credentials, or that does not parse, comes back unchanged.
 */
export function hideCredentialValues(text: string, declared?: SecretPaths): string {
  // A cheap pre-check (most values texts hold no credential word at all), with keys' `-`/`_` ignored as above.
  const byName = CREDENTIAL_ANYWHERE.test(text.replace(/[-_]/g, ''));
  if (!byName && !declared?.mayMatch(text)) return text;
  const doc = YAML.parseDocument(text, { uniqueKeys: false });
  if (doc.errors.length > 0) return text;
  let hidden = 0;
  const hide = (value: unknown): Node | null => {
    if (value === null || (isScalar(value) && value.value === HIDDEN_VALUE)) return null;
    const replacement = doc.createNode(HIDDEN_VALUE);
    if (isScalar(value) || isMap(value) || isSeq(value) || isAlias(value)) {
      replacement.commentBefore = (value as Node).commentBefore;
      replacement.comment = (value as Node).comment;
    }
    hidden += 1;
    return replacement;
  };
  const visit = (node: unknown, path: (string | number)[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : null;
        if (key === null) continue;
        const at = [...path, key];
        if (isCredentialPath(key) || declared?.covers(at)) {
          const replacement = hide(pair.value);
          if (replacement !== null) pair.value = replacement;
        } else visit(pair.value, at);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        const at = [...path, index];
        if (declared?.covers(at)) {
          const replacement = hide(item);
          if (replacement !== null) node.items[index] = replacement;
        } else visit(item, at);
      });
    }
  };
  visit(doc.contents, []);
  return hidden === 0 ? text : doc.toString();
}
