/**
 * `jsonEqual` answers what comparing canonical JSON answers (the reconciler's "did the nodes in force change?"
 * on every pass), without building the strings: checked against `canonicalJson` on generated values, on copies
 * with their keys in another order (as PostgreSQL's jsonb returns them), and on near misses.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { canonicalJson, jsonEqual } from '../../src/core/objects.ts';

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let t = seed;
  return () => {
    t = (t + 0x6d2b79f5) | 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

function value(rnd: () => number, depth: number): unknown {
  const pick = Math.floor(rnd() * (depth > 3 ? 5 : 8));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return Math.floor(rnd() * 4);
    case 2:
      return ['a', 'b', ''][Math.floor(rnd() * 3)];
    case 3:
      return rnd() < 0.5;
    case 4:
      return rnd() < 0.3 ? undefined : 1.5;
    case 5:
    case 6: {
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(rnd() * 4); i > 0; i -= 1)
        o[['x', 'y', 'z', 'w'][Math.floor(rnd() * 4)]!] = value(rnd, depth + 1);
      return o;
    }
    default:
      return Array.from({ length: Math.floor(rnd() * 3) }, () => value(rnd, depth + 1));
  }
}

/** The same value with every object's keys in reverse order. */
function reordered(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(reordered);
  return Object.fromEntries(
    Object.entries(v)
      .reverse()
      .map(([k, x]) => [k, reordered(x)]),
  );
}

/** The same value with one leaf changed, if it has one. */
function nudged(v: unknown, rnd: () => number): unknown {
  if (v === null || typeof v !== 'object') return typeof v === 'number' ? v + 1 : 'changed';
  if (Array.isArray(v)) return v.length === 0 ? [0] : v.map((x, i) => (i === 0 ? nudged(x, rnd) : x));
  const keys = Object.keys(v);
  if (keys.length === 0) return { extra: 1 };
  const k = keys[Math.floor(rnd() * keys.length)]!;
  return { ...v, [k]: nudged((v as Record<string, unknown>)[k], rnd) };
}

it('agrees with comparing canonical JSON on generated values, reordered copies and near misses', () => {
  const rnd = random(20261207);
  let equalPairs = 0;
  for (let i = 0; i < 3000; i += 1) {
    const a = value(rnd, 0);
    const candidates = [reordered(a), nudged(a, rnd), value(rnd, 0), structuredClone(a)];
    for (const b of candidates) {
      const expected = canonicalJson(a) === canonicalJson(b);
      if (expected) equalPairs += 1;
      assert.equal(jsonEqual(a, b), expected, `${canonicalJson(a)} vs ${canonicalJson(b)}`);
      assert.equal(jsonEqual(b, a), expected);
    }
  }
  assert.ok(equalPairs > 3000, `enough equal pairs were checked (${equalPairs})`);
});

it('ignores properties that hold undefined, as JSON does, but not in arrays', () => {
  assert.equal(jsonEqual({ a: 1, b: undefined }, { a: 1 }), true);
  assert.equal(jsonEqual([1, undefined], [1, null]), true);
  assert.equal(jsonEqual([1, undefined], [1]), false);
  assert.equal(jsonEqual({ a: { b: [1, { c: 2 }] } }, { a: { b: [1, { c: 3 }] } }), false);
});
