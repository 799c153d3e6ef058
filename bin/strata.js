#!/usr/bin/env node
// The `strata` command: runs the compiled CLI in build/ (`npm run build:cli` makes it from src/; npm start, npm test
// and npm pack run that). In a clone a build older than its sources is rebuilt first, never run stale; the rule
// (a stat of each source against build/.stamp.json) is in scripts/build-stamp.mjs. An installed package has no src/
// and runs the build it shipped with.
import { existsSync } from 'node:fs';

if (existsSync(new URL('../src/cli/main.ts', import.meta.url))) {
  const { staleReason } = await import('../scripts/build-stamp.mjs');
  const reason = staleReason();
  if (reason !== null) {
    process.stderr.write(`strata: rebuilding build/ (${reason}): npm run build:cli…\n`);
    const { buildCli } = await import('../scripts/build-cli.mjs');
    try {
      await buildCli({ ifStale: true });
    } catch (error) {
      process.stderr.write(
        `strata: cannot run: the build is stale and rebuilding it failed: ${error.message}\n` +
          'strata: fix that, then run `npm run build:cli`.\n',
      );
      process.exit(2);
    }
  }
} else if (!existsSync(new URL('../build/cli/main.js', import.meta.url))) {
  process.stderr.write('strata: this package has no build/ (it was packed without `npm run build:cli`).\n');
  process.exit(2);
}
await import('../build/cli/main.js');
