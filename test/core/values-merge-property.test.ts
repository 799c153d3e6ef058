/**
 * Property test of the 3-way merge: on generated base/ours/theirs values (nested maps, lists, named lists,
 * comments, flow and block styles, awkward keys) the merged data and conflicts must match a small
 * reference merge written on plain data, and the text must stay valid with one marker per conflict.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { formatPath, isPlainObject, sameValue, valuesToObject } from '../../src/core/values.ts';
import { mergeValues3Way, resolveConflictMarkers } from '../../src/core/values-merge.ts';

type Data = Record<string, unknown>;
type NamedItem = Data & { name: string };

/** A seeded generator, so a failure names a case that can be replayed. */
function generator(seed: number) {
  let state = seed;
  const next = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const keys = ['a', 'b', 'c', 'd', 'x.y', 'e f', '1', 'max-pods'];

  const value = (depth: number): unknown => {
    const r = next();
    if (depth < 3 && r < 0.35) return map(depth + 1);
    if (r < 0.4) return [pick([1, 2, 'x']), pick(['y', 3])];
    if (r < 0.5) return namedList(depth);
    if (r < 0.55) return null;
    if (r < 0.6) return {};
    return pick([1, 2, 3, 'v1', 'v2', true, false, 'multi\nline', '# not a comment']);
  };
  const namedList = (depth: number): NamedItem[] =>
    ['n1', 'n2', 'n3', 'n4']
      .filter(() => next() < 0.6)
      .map((name) => ({
        name,
        value: pick([1, 2, 'a']),
        ...(next() < 0.3 ? { extra: value(depth + 1) } : {}),
      }));
  const map = (depth: number): Data => {
    const result: Data = {};
    const count = Math.floor(next() * 4) + (depth === 0 ? 2 : 0);
    for (let i = 0; i < count; i += 1) result[pick(keys)] = value(depth);
    if (depth === 0 && next() < 0.5) result.env = namedList(1);
    return result;
  };
  const mutateList = (list: NamedItem[], depth: number): NamedItem[] => {
    let result = list
      .filter(() => next() > 0.1)
      .map((item) => (next() < 0.3 ? ({ ...mutate(item, depth + 1), name: item.name } as NamedItem) : item))
      .map((item) => (next() < 0.2 ? { ...item, value: pick([1, 2, 3, 'b']) } : item));
    const name = pick(['n1', 'n2', 'n3', 'n4', 'n5']);
    if (next() < 0.3 && !result.some((i) => i.name === name))
      result.splice(Math.floor(next() * (result.length + 1)), 0, { name, value: 9 });
    if (next() < 0.2) result = result.reverse();
    return result;
  };
  const mutate = (data: Data, depth = 0): Data => {
    const result = structuredClone(data);
    for (const key of Object.keys(result)) {
      const r = next();
      const current = result[key];
      if (r < 0.15) delete result[key];
      else if (r < 0.3) result[key] = value(depth + 1);
      else if (r < 0.5 && isPlainObject(current)) result[key] = mutate(current, depth + 1);
      else if (r < 0.8 && isNamedList(current)) result[key] = mutateList(current, depth);
    }
    if (next() < 0.3) result[pick(keys)] = value(depth + 1);
    return result;
  };
  /** Writes data as YAML with random comments and flow/block styles. */
  const text = (data: Data): string => {
    if (next() < 0.05) return '';
    const doc = new YAML.Document(data);
    YAML.visit(doc, {
      Pair: (_key, pair) => {
        if (YAML.isScalar(pair.key) && next() < 0.3)
          pair.key.commentBefore = ` note ${Math.floor(next() * 100)}`;
        if (YAML.isScalar(pair.value) && next() < 0.3) pair.value.comment = ' eol';
      },
      Map: (_key, node) => {
        if (next() < 0.15) node.flow = true;
      },
      Seq: (_key, node) => {
        if (next() < 0.5) node.flow = true;
      },
    });
    if (next() < 0.3) doc.commentBefore = ' header';
    return doc.toString({ lineWidth: 0 });
  };
  return { map, mutate, text };
}

function isNamedList(value: unknown): value is NamedItem[] {
  if (!Array.isArray(value)) return false;
  const names = new Set<string>();
  return value.every((item) => {
    if (!isPlainObject(item) || typeof item.name !== 'string' || names.has(item.name)) return false;
    names.add(item.name);
    return true;
  });
}

const CONFLICT = Symbol('conflict');

/** The merge's rules on plain data: theirs plus our changes; maps recurse; named lists pair by name. */
function referenceMerge(b: Data | undefined, o: Data, t: Data, path: string[], conflicts: string[]): Data {
  const out: Data = {};
  for (const key of new Set([...Object.keys(t), ...Object.keys(o), ...Object.keys(b ?? {})])) {
    const hb = b !== undefined && Object.hasOwn(b, key);
    const ho = Object.hasOwn(o, key);
    const ht = Object.hasOwn(t, key);
    const oursChanged = hb !== ho || (hb && !sameValue(b[key], o[key]));
    const theirsChanged = hb !== ht || (hb && !sameValue(b[key], t[key]));
    let present = ht;
    let value = t[key];
    if (oursChanged && !theirsChanged) {
      present = ho;
      value = o[key];
    } else if (oursChanged && !(ho === ht && (!ho || sameValue(o[key], t[key])))) {
      const [bv, ov, tv] = [b?.[key], o[key], t[key]];
      if (isPlainObject(ov) && isPlainObject(tv)) {
        value = referenceMerge(isPlainObject(bv) ? bv : undefined, ov, tv, [...path, key], conflicts);
      } else {
        const baseList = hb ? bv : [];
        const merged =
          isNamedList(baseList) && isNamedList(ov) && isNamedList(tv)
            ? referenceListMerge(baseList, ov, tv)
            : CONFLICT;
        if (merged === CONFLICT) conflicts.push(formatPath([...path, key]));
        else value = merged;
      }
    }
    if (present) out[key] = value;
  }
  return out;
}

function referenceListMerge(b: NamedItem[], o: NamedItem[], t: NamedItem[]): Data[] | typeof CONFLICT {
  const byName = (list: NamedItem[]) => new Map(list.map((item) => [item.name, item]));
  const [bm, om, tm] = [byName(b), byName(o), byName(t)];
  const out: Data[] = [];
  for (const name of new Set([...om.keys(), ...tm.keys(), ...bm.keys()])) {
    const [bi, oi, ti] = [bm.get(name), om.get(name), tm.get(name)];
    const chosen = sameValue(bi, oi) ? ti : sameValue(bi, ti) || sameValue(oi, ti) ? oi : CONFLICT;
    if (chosen !== CONFLICT) {
      if (chosen) out.push(chosen);
      continue;
    }
    if (!oi || !ti) return CONFLICT;
    const inner: string[] = [];
    const merged = referenceMerge(bi, oi, ti, [], inner);
    if (inner.length > 0) return CONFLICT;
    out.push(merged);
  }
  return out;
}

/** Named lists compared as sets by name: the property is about content; placement has its own tests. */
function normalised(value: unknown): unknown {
  if (isNamedList(value))
    return value.map(normalised).sort((x, y) => ((x as NamedItem).name < (y as NamedItem).name ? -1 : 1));
  if (Array.isArray(value)) return value.map(normalised);
  if (isPlainObject(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalised(v)]));
  return value;
}

describe('mergeValues3Way on generated values', () => {
  it('agrees with the reference merge, marks each conflict once and keeps the text valid', () => {
    let conflicted = 0;
    for (let seed = 1; seed <= 300; seed += 1) {
      const gen = generator(seed);
      const baseData = gen.map(0);
      const [base, ours, theirs] = [
        gen.text(baseData),
        gen.text(gen.mutate(baseData)),
        gen.text(gen.mutate(baseData)),
      ];
      const context = `seed ${seed}\n--- base\n${base}--- ours\n${ours}--- theirs\n${theirs}`;
      const result = mergeValues3Way({ base, ours, theirs });
      const expectedConflicts: string[] = [];
      const expected = referenceMerge(
        valuesToObject(base, 'base'),
        valuesToObject(ours, 'ours'),
        valuesToObject(theirs, 'theirs'),
        [],
        expectedConflicts,
      );
      const merged = valuesToObject(result.text, 'merged');
      assert.deepEqual(normalised(merged), normalised(expected), context);
      assert.deepEqual(result.conflicts.map((c) => c.path).sort(), expectedConflicts.sort(), context);
      assert.equal(result.clean, expectedConflicts.length === 0);
      const textLines = result.text.split('\n');
      assert.equal((result.text.match(/strata: conflict/g) ?? []).length, result.conflicts.length, context);
      for (const conflict of result.conflicts) {
        const near = `${textLines[conflict.line - 2] ?? ''}\n${textLines[conflict.line - 1] ?? ''}`;
        assert.match(near, /strata: conflict/, `${conflict.path} at line ${conflict.line}\n${context}`);
      }
      const accepted = resolveConflictMarkers(result.text);
      assert.doesNotMatch(accepted, /strata: conflict/);
      assert.deepEqual(valuesToObject(accepted, 'accepted'), merged, context);
      if (result.conflicts.length > 0) conflicted += 1;
    }
    assert.ok(conflicted > 50, `the generator should produce conflicts (got ${conflicted})`);
  });
});
