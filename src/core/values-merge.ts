/**
 * The 3-way merge of a layer's values, which keeps a cluster's overrides when it moves to a new profile
 * version: base = the profile layer's values the cluster was on, theirs = the new version's, ours = the
 * cluster's own. The result starts from theirs (its key order and comments) and re-applies our changes
 * relative to base; only a key both sides changed differently is a conflict, left visible in the text and
 * listed, never silently decided. Maps merge key by key. Lists are atomic values (compared whole), because
 * list items carry no identity to pair them by — except lists of maps that each have a unique `name`
 * (containers, env vars, volumes), which merge item by item when that meets no conflict at all.
 */
import YAML, {
  type Document,
  isAlias,
  isCollection,
  isMap,
  isScalar,
  isSeq,
  type Node,
  type Pair,
  type Scalar,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import { StrataError } from './errors.ts';
import {
  formatPath,
  isPlainObject,
  keyText,
  MAX_ALIAS_COUNT,
  parseValues,
  readValues,
  sameValue,
  VALUES_STRINGIFY_OPTIONS,
  type ValuesData,
} from './values.ts';

/**
 * One key both sides changed differently; the merged text keeps theirs there, with a marker comment.
 * `base`, `ours` and `theirs` are shared, frozen plain data.
 */
export interface MergeConflict {
  /** The formatted value path of the key. */
  path: string;
  /** The value in base (absent: the key did not exist). */
  base?: unknown;
  /** The cluster's value (absent: the cluster removed the key). */
  ours?: unknown;
  /** The new version's value (absent: the new version removes the key). */
  theirs?: unknown;
  /** 1-based line of the conflict in the merged text (its key, or the marker where a removed key was). */
  line: number;
}

/** The merged values text and what is left for a person to decide. */
export interface MergeResult {
  text: string;
  conflicts: MergeConflict[];
  /** True when there are no conflicts. */
  clean: boolean;
}

/** The words every conflict marker comment starts with; `resolveConflictMarkers` removes such comments. */
export const CONFLICT_MARKER = 'strata: conflict';

/**
 * Returns the 3-way merge of a layer's values: theirs plus our changes relative to base. A key we changed
 * and they did not takes ours (with our node's comments); both changed alike is no conflict; both changed
 * differently (including a removal on one side against a change on the other) is a conflict. When ours
 * equals base the result is exactly theirs' text, and when theirs equals base exactly ours'. An added key
 * goes after its nearest preceding sibling in ours that is in the output (else before its nearest following
 * one, else last). Inputs that are not safe values YAML are refused with `InvalidYaml` naming the side.
 */
export function mergeValues3Way(input: { base: string; ours: string; theirs: string }): MergeResult {
  const base = readValues(input.base, 'base');
  const ours = readValues(input.ours, 'ours');
  const theirs = readValues(input.theirs, 'theirs');
  if (sameValue(ours.data, base.data) || sameValue(ours.data, theirs.data)) return clean(input.theirs);
  if (sameValue(theirs.data, base.data)) return clean(input.ours);
  // The texts are valid, so free of NUL: joined with NUL the key is unambiguous.
  const cacheKey = `${input.base}\u0000${input.ours}\u0000${input.theirs}`;
  const cached = mergeCache.get(cacheKey);
  if (cached !== undefined) {
    // Re-inserting keeps the Map's insertion order a least-recently-used order.
    mergeCache.delete(cacheKey);
    mergeCache.set(cacheKey, cached);
    return copyResult(cached);
  }

  const out = theirs.doc ?? parseValues(input.theirs, 'theirs');
  const oursDoc = ours.doc ?? parseValues(input.ours, 'ours');
  // A replaced or deleted anchored node would leave its aliases dangling, so aliases become plain copies.
  if (input.theirs.includes('*')) inlineAliases(out);
  const merge: MergeContext = {
    out,
    ours: oursDoc,
    oursHasAnchors: input.ours.includes('&') || input.ours.includes('*'),
    conflicts: [],
  };
  mergeMaps(merge, rootMap(out), rootMap(oursDoc), base.data, ours.data, theirs.data, [], true);
  const { text, conflicts } = locateConflicts(out.toString(VALUES_STRINGIFY_OPTIONS), merge.conflicts);
  const result: MergeResult = { text, conflicts, clean: conflicts.length === 0 };
  if (mergeCache.size >= MERGE_CACHE_SIZE) mergeCache.delete(mergeCache.keys().next().value as string);
  mergeCache.set(cacheKey, result);
  return copyResult(result);
}

/**
 * Returns the text with Strata's conflict marker comments removed (whole marker lines, and the marker
 * part of end-of-line comments), for when a person accepts the pending text they edited.
 */
export function resolveConflictMarkers(text: string): string {
  if (!text.includes(CONFLICT_MARKER)) return text;
  const stripped = text.replace(MARKER_LINE, '').replace(MARKER_END_OF_LINE, '');
  // Text-level stripping keeps the person's formatting exactly. Should a marker-like line have been part
  // of a value (inside a block scalar), the data changes; then the comments are cleaned node by node.
  const before = dataOrUndefined(text);
  if (before === undefined) return stripped;
  const after = dataOrUndefined(stripped);
  if (after !== undefined && sameValue(before, after)) return stripped;
  return stripMarkersFromNodes(text);
}

const MARKER_LINE = new RegExp(`^[ \\t]*#[ \\t]*${CONFLICT_MARKER}\\b.*(?:\\r?\\n|$)`, 'gm');
const MARKER_END_OF_LINE = new RegExp(`[ \\t]*#[ \\t]*${CONFLICT_MARKER}\\b[^\\r\\n]*`, 'g');
const MARKER_PREVIEW_LENGTH = 120;

/**
 * Recent merge results by input. Most clusters on a profile version share their overrides, so a fleet's
 * plans repeat the same few merges; each costs a few YAML parses, a lookup costs none.
 */
const MERGE_CACHE_SIZE = 256;
const mergeCache = new Map<string, MergeResult>();

interface MergeContext {
  out: Document;
  ours: Document;
  /** Our nodes then need copying with their aliases resolved and anchors dropped. */
  oursHasAnchors: boolean;
  conflicts: PendingConflict[];
}

/** A conflict before its line is known. */
interface PendingConflict {
  segments: string[];
  /** Where its marker went: after the value, on the line above the key, or on a line where the key was. */
  placement: 'end-of-line' | 'above-key' | 'own-line';
  base?: unknown;
  ours?: unknown;
  theirs?: unknown;
}

/** Returns a result the caller may change without touching the cached one (conflict values are frozen data). */
function copyResult(result: MergeResult): MergeResult {
  return { text: result.text, clean: result.clean, conflicts: result.conflicts.map((c) => ({ ...c })) };
}

function clean(text: string): MergeResult {
  return { text, conflicts: [], clean: true };
}

/** Returns the root mapping of a parsed values document (parseValues guarantees one). */
function rootMap(doc: Document): YAMLMap {
  return doc.contents as YAMLMap;
}

/**
 * Merges one mapping level in place: `out` (a map of theirs) receives our changes from `oursMap`.
 * `b`, `o`, `t` are the plain data of base, ours and theirs at this level.
 */
function mergeMaps(
  merge: MergeContext,
  out: YAMLMap,
  oursMap: YAMLMap,
  b: ValuesData | undefined,
  o: ValuesData,
  t: ValuesData,
  path: string[],
  isRoot: boolean,
): void {
  const outPairs = new Map<string, Pair>();
  for (const pair of out.items) outPairs.set(keyText(pair.key), pair as Pair);
  const oursKeys = oursMap.items.map((pair) => keyText(pair.key));
  const keys = new Set<string>(oursKeys);
  for (const key of outPairs.keys()) keys.add(key);
  for (const key of Object.keys(b ?? {})) keys.add(key);

  for (const key of keys) {
    const hb = b !== undefined && Object.hasOwn(b, key);
    const ho = Object.hasOwn(o, key);
    const ht = Object.hasOwn(t, key);
    const bv = hb ? b[key] : undefined;
    const ov = o[key];
    const tv = t[key];
    const oursChanged = hb !== ho || (hb && !sameValue(bv, ov));
    if (!oursChanged) continue;
    const theirsChanged = hb !== ht || (hb && !sameValue(bv, tv));
    const oursIndex = oursKeys.indexOf(key);
    if (!theirsChanged) {
      takeOurs(merge, out, outPairs, oursMap, oursKeys, key, oursIndex, isRoot);
      continue;
    }
    if (ho === ht && (!ho || sameValue(ov, tv))) continue;
    if (isPlainObject(ov) && isPlainObject(tv)) {
      const outValue = outPairs.get(key)?.value;
      const oursValue = (oursMap.items[oursIndex] as Pair | undefined)?.value;
      if (isMap(outValue) && isMap(oursValue)) {
        mergeMaps(
          merge,
          outValue,
          oursValue,
          isPlainObject(bv) ? bv : undefined,
          ov,
          tv,
          [...path, key],
          false,
        );
        continue;
      }
    }
    if (
      mergeNamedListsAt(
        merge,
        outPairs.get(key)?.value,
        (oursMap.items[oursIndex] as Pair | undefined)?.value,
        hb,
        bv,
        ov,
        tv,
        [...path, key],
      )
    ) {
      continue;
    }
    const segments = [...path, key];
    const locator = conflictLocator(merge.conflicts.length);
    const placement = ht
      ? markConflictAt(
          outPairs.get(key)!,
          `${ho ? `this cluster had ${preview(ov)}` : 'this cluster removed this key'}${locator}`,
        )
      : markRemovedConflict(out, outPairs, oursKeys, oursIndex, segments, `${preview(ov)}${locator}`);
    const conflict: PendingConflict = { segments, placement };
    if (hb) conflict.base = bv;
    if (ho) conflict.ours = ov;
    if (ht) conflict.theirs = tv;
    merge.conflicts.push(conflict);
  }
}

/** Applies our side for a key only we changed: remove it, add our pair, or replace the value with ours. */
function takeOurs(
  merge: MergeContext,
  out: YAMLMap,
  outPairs: Map<string, Pair>,
  oursMap: YAMLMap,
  oursKeys: string[],
  key: string,
  oursIndex: number,
  isRoot: boolean,
): void {
  const outPair = outPairs.get(key);
  if (oursIndex === -1) {
    if (outPair) removePair(out, outPair);
    outPairs.delete(key);
    return;
  }
  const oursPair = oursMap.items[oursIndex] as Pair;
  if (outPair) {
    outPair.value = ownNode(merge, oursPair.value);
    return;
  }
  const pair = ownPair(merge, oursPair);
  if (isRoot && oursIndex === 0 && isScalar(pair.key)) {
    // Our first key carries our file's header comment; the output keeps theirs.
    pair.key.commentBefore = attachedComment(pair.key.commentBefore);
  }
  insertPair(out, pair, insertionIndex(out, outPairs, oursKeys, oursIndex));
  outPairs.set(key, pair);
}

/** Where our added key goes: after its nearest preceding sibling in ours, else before its nearest following one, else last. */
function insertionIndex(
  out: { items: unknown[] },
  outPairs: ReadonlyMap<string, unknown>,
  oursKeys: string[],
  oursIndex: number,
): number {
  for (let i = oursIndex - 1; i >= 0; i -= 1) {
    const previous = outPairs.get(oursKeys[i]!);
    if (previous) return out.items.indexOf(previous) + 1;
  }
  for (let i = oursIndex + 1; i < oursKeys.length; i += 1) {
    const next = outPairs.get(oursKeys[i]!);
    if (next) return out.items.indexOf(next);
  }
  return out.items.length;
}

/**
 * Lists of maps that each carry a unique `name` (containers, env vars, volumes) are merged item by item,
 * paired by name, like map keys — but only when that merge has no conflict at all; otherwise the list stays
 * one atomic value and its conflict is reported at the list's path, so every path stays a plain value path.
 * Returns true when it merged the list.
 */
function mergeNamedListsAt(
  merge: MergeContext,
  outValue: unknown,
  oursValue: unknown,
  hb: boolean,
  bv: unknown,
  ov: unknown,
  tv: unknown,
  path: string[],
): boolean {
  const b = hb ? bv : [];
  if (!isNamedList(b) || !isNamedList(ov) || !isNamedList(tv)) return false;
  if (!isSeq(outValue) || !isSeq(oursValue)) return false;
  if (!outValue.items.every((item) => isMap(item)) || !oursValue.items.every((item) => isMap(item)))
    return false;
  if (!namedListMergesCleanly(b, ov, tv)) return false;
  const conflictsBefore = merge.conflicts.length;
  mergeNamedLists(merge, outValue as YAMLSeq<YAMLMap>, oursValue as YAMLSeq<YAMLMap>, b, ov, tv, path);
  if (merge.conflicts.length !== conflictsBefore) {
    throw new StrataError(
      'Internal',
      `values merge: the list at ${formatPath(path)} was checked clean but conflicted.`,
      {
        path: formatPath(path),
      },
    );
  }
  return true;
}

type NamedItem = Readonly<Record<string, unknown>> & { readonly name: string };

function mergeNamedLists(
  merge: MergeContext,
  out: YAMLSeq<YAMLMap>,
  ours: YAMLSeq<YAMLMap>,
  b: readonly NamedItem[],
  o: readonly NamedItem[],
  t: readonly NamedItem[],
  path: string[],
): void {
  const baseItems = new Map(b.map((item) => [item.name, item]));
  const oursItems = new Map(o.map((item) => [item.name, item]));
  const theirsItems = new Map(t.map((item) => [item.name, item]));
  const outNodes = new Map(t.map((item, i) => [item.name, out.items[i]!]));
  const oursNames = o.map((item) => item.name);
  const names = new Set([...oursNames, ...theirsItems.keys(), ...baseItems.keys()]);
  for (const name of names) {
    const bi = baseItems.get(name);
    const oi = oursItems.get(name);
    const ti = theirsItems.get(name);
    if (sameValue(bi, oi)) continue;
    const oursIndex = oursNames.indexOf(name);
    const outNode = outNodes.get(name);
    if (sameValue(bi, ti)) {
      if (oi === undefined) {
        if (outNode) out.items.splice(out.items.indexOf(outNode), 1);
        outNodes.delete(name);
      } else if (outNode) {
        const node = ownNode(merge, ours.items[oursIndex]) as YAMLMap;
        out.items[out.items.indexOf(outNode)] = node;
        outNodes.set(name, node);
      } else {
        const node = ownNode(merge, ours.items[oursIndex]) as YAMLMap;
        out.items.splice(insertionIndex(out, outNodes, oursNames, oursIndex), 0, node);
        outNodes.set(name, node);
      }
    } else if (oi !== undefined && ti !== undefined && outNode && !sameValue(oi, ti)) {
      mergeMaps(merge, outNode, ours.items[oursIndex]!, bi, oi, ti, [...path, name], false);
    }
  }
}

/** True for a list whose items are all maps with a string `name`, each name once (an empty list too). */
function isNamedList(value: unknown): value is readonly NamedItem[] {
  if (!Array.isArray(value)) return false;
  const names = new Set<string>();
  for (const item of value) {
    if (!isPlainObject(item) || typeof item.name !== 'string' || names.has(item.name)) return false;
    names.add(item.name);
  }
  return true;
}

/** True when merging these named lists item by item meets no conflict (the same decisions as the merge). */
function namedListMergesCleanly(
  b: readonly NamedItem[],
  o: readonly NamedItem[],
  t: readonly NamedItem[],
): boolean {
  const byName = (list: readonly NamedItem[]) => new Map(list.map((item) => [item.name, item]));
  const [bm, om, tm] = [byName(b), byName(o), byName(t)];
  for (const name of new Set([...om.keys(), ...tm.keys(), ...bm.keys()])) {
    const [bi, oi, ti] = [bm.get(name), om.get(name), tm.get(name)];
    if (sameValue(bi, oi) || sameValue(bi, ti) || sameValue(oi, ti)) continue;
    if (oi === undefined || ti === undefined || !mapMergesCleanly(bi, oi, ti)) return false;
  }
  return true;
}

/** True when merging these maps meets no conflict: the decisions of `mergeMaps`, on data only. */
function mapMergesCleanly(b: ValuesData | undefined, o: ValuesData, t: ValuesData): boolean {
  for (const key of new Set([...Object.keys(o), ...Object.keys(t), ...Object.keys(b ?? {})])) {
    const hb = b !== undefined && Object.hasOwn(b, key);
    const [ho, ht] = [Object.hasOwn(o, key), Object.hasOwn(t, key)];
    const [bv, ov, tv] = [hb ? b[key] : undefined, o[key], t[key]];
    const oursChanged = hb !== ho || (hb && !sameValue(bv, ov));
    const theirsChanged = hb !== ht || (hb && !sameValue(bv, tv));
    if (!oursChanged || !theirsChanged || (ho === ht && (!ho || sameValue(ov, tv)))) continue;
    if (isPlainObject(ov) && isPlainObject(tv)) {
      if (!mapMergesCleanly(isPlainObject(bv) ? bv : undefined, ov, tv)) return false;
      continue;
    }
    const base = hb ? bv : [];
    if (isNamedList(base) && isNamedList(ov) && isNamedList(tv) && namedListMergesCleanly(base, ov, tv))
      continue;
    return false;
  }
  return true;
}

function insertPair(out: YAMLMap, pair: Pair, index: number): void {
  const displaced = out.items[index] as Pair | undefined;
  if (index === 0 && displaced && isScalar(displaced.key) && isScalar(pair.key)) {
    // The first key of a map holds the comment block above it; a header (the part before a blank line)
    // stays at the top, above the new first key.
    const header = detachedComment(displaced.key.commentBefore);
    if (header !== undefined) {
      displaced.key.commentBefore = attachedComment(displaced.key.commentBefore);
      displaced.key.spaceBefore = true;
      pair.key.commentBefore = joinComments(header, pair.key.commentBefore, '\n\n');
    }
  }
  out.items.splice(index, 0, pair);
}

/** Removes a pair, handing a section comment (above a blank line) and the blank line to the next key. */
function removePair(out: YAMLMap, pair: Pair): void {
  const index = out.items.indexOf(pair);
  if (index === -1) return;
  out.items.splice(index, 1);
  const key = pair.key as Scalar;
  const section = isScalar(key) ? detachedComment(key.commentBefore) : undefined;
  const next = out.items[index] as Pair | undefined;
  if (next && isScalar(next.key)) {
    if (section !== undefined) next.key.commentBefore = joinComments(section, next.key.commentBefore, '\n\n');
    if (key.spaceBefore && next.key.commentBefore === undefined) next.key.spaceBefore = true;
  } else if (section !== undefined) {
    out.comment = joinComments(out.comment, section, '\n');
  }
}

/** Adds an end-of-line marker to the value (or a marker line above the key when the value spans lines). */
function markConflictAt(pair: Pair, note: string): PendingConflict['placement'] {
  const marker = ` ${CONFLICT_MARKER} — ${note}`;
  const value = pair.value as Node | null;
  const endOfLine = isScalar(value) || (isCollection(value) && value.flow === true);
  if (endOfLine && value && !(value.comment ?? '').includes('\n')) {
    value.comment = value.comment ? `${value.comment} #${marker}` : marker;
    return 'end-of-line';
  }
  (pair.key as Scalar).commentBefore = joinComments((pair.key as Scalar).commentBefore, marker, '\n');
  return 'above-key';
}

/** The new version removed a key we changed: a marker line stands where the key was. */
function markRemovedConflict(
  out: YAMLMap,
  outPairs: Map<string, Pair>,
  oursKeys: string[],
  oursIndex: number,
  segments: string[],
  oursPreview: string,
): PendingConflict['placement'] {
  const marker = ` ${CONFLICT_MARKER} at ${formatPath(segments)} — the new version removes this key; this cluster had ${oursPreview}`;
  for (let i = oursIndex + 1; i < oursKeys.length; i += 1) {
    const next = outPairs.get(oursKeys[i]!);
    if (next) {
      (next.key as Scalar).commentBefore = joinComments(marker, (next.key as Scalar).commentBefore, '\n');
      return 'own-line';
    }
  }
  out.comment = joinComments(out.comment, marker, '\n');
  return 'own-line';
}

/**
 * A token appended to a conflict's marker so its line can be read off the printed text without parsing it
 * again; removed before the text is returned. NUL cannot occur in a values text (`parseValues` refuses
 * control characters, and previews print them escaped), so a token cannot collide with content.
 */
function conflictLocator(index: number): string {
  return `\u0000${index}\u0000`;
}

/** Returns the merged text without locator tokens, and the conflicts with the line each one sits on. */
function locateConflicts(
  printed: string,
  pending: PendingConflict[],
): { text: string; conflicts: MergeConflict[] } {
  let text = printed;
  const conflicts = pending.map(({ segments, placement, ...values }, index) => {
    const path = formatPath(segments);
    const token = conflictLocator(index);
    const at = text.indexOf(token);
    if (at === -1) {
      throw new StrataError(
        'Internal',
        `values merge: the conflict at ${path} is missing from the merged text.`,
        { path },
      );
    }
    text = text.slice(0, at) + text.slice(at + token.length);
    let line = 1;
    for (let i = text.indexOf('\n'); i !== -1 && i < at; i = text.indexOf('\n', i + 1)) line += 1;
    return { path, ...values, line: placement === 'above-key' ? line + 1 : line };
  });
  return { text, conflicts };
}

/** Returns our node ready to live in the output: copied with aliases resolved and anchors dropped if needed. */
function ownNode(merge: MergeContext, node: unknown): unknown {
  if (!merge.oursHasAnchors || !YAML.isNode(node)) return node;
  const copy = node.clone() as Node;
  return isAlias(copy) ? resolvedCopy(merge.out, merge.ours, copy) : withoutAliases(merge, copy);
}

function ownPair(merge: MergeContext, pair: Pair): Pair {
  if (!merge.oursHasAnchors) return pair;
  const copy = pair.clone();
  copy.value = ownNode(merge, pair.value);
  return copy;
}

function withoutAliases(merge: MergeContext, node: Node): Node {
  YAML.visit(node, {
    Alias: (_key, alias) => resolvedCopy(merge.out, merge.ours, alias),
    Node: (_key, inner) => {
      if (!isAlias(inner) && inner.anchor) inner.anchor = undefined;
    },
  });
  return node;
}

/** Returns a plain node (for `target`) holding the value an alias of `source` points at. */
function resolvedCopy(target: Document, source: Document, alias: YAML.Alias): Node {
  const anchored = alias.resolve(source);
  const value: unknown = anchored ? anchored.toJS(source, { maxAliasCount: MAX_ALIAS_COUNT }) : null;
  return target.createNode(value);
}

function inlineAliases(doc: Document): void {
  YAML.visit(doc, { Alias: (_key, alias) => resolvedCopy(doc, doc, alias) });
}

/** Returns a one-line YAML flow rendering of a value for a marker comment, shortened if long. */
function preview(value: unknown): string {
  const text =
    typeof value === 'string' && /[\r\n]/.test(value)
      ? JSON.stringify(value)
      : YAML.stringify(value, {
          collectionStyle: 'flow',
          lineWidth: 0,
          blockQuote: false,
          flowCollectionPadding: false,
        });
  const line = text.trim().replace(/\s*\n\s*/g, ' ');
  return line.length > MARKER_PREVIEW_LENGTH ? `${line.slice(0, MARKER_PREVIEW_LENGTH - 1)}…` : line;
}

/** The part of a comment block above its last blank line (a section or file header), if any. */
function detachedComment(comment: string | null | undefined): string | undefined {
  const at = comment?.lastIndexOf('\n\n') ?? -1;
  return at === -1 ? undefined : comment!.slice(0, at);
}

/** The part of a comment block below its last blank line: the comment on the key itself. */
function attachedComment(comment: string | null | undefined): string | undefined {
  if (!comment) return undefined;
  const at = comment.lastIndexOf('\n\n');
  return at === -1 ? comment : comment.slice(at + 2) || undefined;
}

function joinComments(
  first: string | null | undefined,
  second: string | null | undefined,
  separator: string,
): string {
  if (!first) return second ?? '';
  if (!second) return first;
  return `${first}${separator}${second}`;
}

/** Returns the plain data of a text, or undefined when it is not valid values YAML (the caller decides). */
function dataOrUndefined(text: string): ValuesData | undefined {
  try {
    return readValues(text, 'values').data;
  } catch (error) {
    if (error instanceof StrataError && error.code === 'InvalidYaml') return undefined;
    throw error;
  }
}

function stripMarkersFromNodes(text: string): string {
  const doc = parseValues(text, 'values');
  const cleanComment = (comment: string | null | undefined): string | undefined => {
    if (!comment) return comment ?? undefined;
    const kept = comment
      .split('\n')
      .filter((line) => !line.trimStart().startsWith(CONFLICT_MARKER))
      .map((line) => line.replace(MARKER_END_OF_LINE, ''))
      .join('\n');
    return kept.trim() === '' ? undefined : kept;
  };
  doc.commentBefore = cleanComment(doc.commentBefore) ?? null;
  doc.comment = cleanComment(doc.comment) ?? null;
  YAML.visit(doc, {
    Node: (_key, node) => {
      node.commentBefore = cleanComment(node.commentBefore);
      node.comment = cleanComment(node.comment);
    },
  });
  return doc.toString(VALUES_STRINGIFY_OPTIONS);
}
