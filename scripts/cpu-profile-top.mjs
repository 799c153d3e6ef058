#!/usr/bin/env node
/**
 * Prints the functions a V8 `.cpuprofile` spent the most time in: self time (the function's own code) and total
 * time (with what it called), as a share of the sampled time. `node scripts/cpu-profile-top.mjs FILE [N]`.
 */
import { readFileSync } from 'node:fs';

const [file, count = '25'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node scripts/cpu-profile-top.mjs FILE.cpuprofile [N]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const hits = new Map();
for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
const total = profile.samples.length;
const label = (n) => {
  const f = n.callFrame;
  const where = f.url
    ? `${f.url.replace(/^file:\/\/.*?\/(node_modules|src)\//, '$1/')}:${f.lineNumber + 1}`
    : '';
  return `${f.functionName || '(anonymous)'} ${where}`.trim();
};
const self = new Map();
const inclusive = new Map();
for (const [id, n] of hits) {
  const node = byId.get(id);
  self.set(label(node), (self.get(label(node)) ?? 0) + n);
  const seen = new Set();
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const l = label(byId.get(at));
    if (seen.has(l)) continue;
    seen.add(l);
    inclusive.set(l, (inclusive.get(l) ?? 0) + n);
  }
}
const top = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, Number(count));
const pct = (n) => `${((100 * n) / total).toFixed(1).padStart(5)} %`;
console.log(`${total} samples`);
console.log('\nself time:');
for (const [l, n] of top(self)) console.log(`${pct(n)}  ${l}`);
console.log('\ntotal time:');
for (const [l, n] of top(inclusive)) console.log(`${pct(n)}  ${l}`);
