#!/usr/bin/env node
// Runs every `*.test.ts` under test/ (or the files/folders given) with Node's test runner through tsx.
// Node 20's `node --test` neither expands globs nor fails on an empty run, so both are done here.
// Tests run the `strata` command from build/, so a missing or stale build is made first, once, for all of them.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildCli, staleReason } from './build-cli.mjs';

const root = new URL('..', import.meta.url).pathname;

/** Lists test files below a folder, sorted so runs are reproducible. */
function findTests(dir) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findTests(path));
    else if (entry.name.endsWith('.test.ts')) found.push(path);
  }
  return found.sort();
}

const args = process.argv.slice(2);
const targets = args.length > 0 ? args : [join(root, 'test')];
const files = targets.flatMap((t) => (statSync(t).isDirectory() ? findTests(t) : [t]));
if (files.length === 0) {
  console.error(`run-tests: no test files found under ${targets.join(', ')} — refusing to report success.`);
  process.exit(1);
}
const stale = staleReason();
if (stale !== null) {
  console.log(`run-tests: building the CLI into build/ (${stale})…`);
  try {
    await buildCli({ ifStale: true });
  } catch (error) {
    console.error(`run-tests: the CLI build failed: ${error.message}`);
    process.exit(1);
  }
}
console.log(`run-tests: ${files.length} test files`);
const concurrency = process.env.STRATA_TEST_CONCURRENCY ?? '2';
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-reporter=spec',
    `--test-timeout=${process.env.STRATA_TEST_TIMEOUT_MS ?? '900000'}`,
    ...files.map((f) => relative(root, f)),
  ],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
