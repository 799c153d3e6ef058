/**
 * `npm run bench`: runs every `bench/*.bench.ts` in its own process, one after another, so each scenario's
 * memory and timing stand alone. Pass names to run a subset: `npm run bench -- core store`.
 * `STRATA_BENCH_SCALE` (default 1) scales fleet sizes down for a quick look.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = new URL('.', import.meta.url).pathname;
const wanted = process.argv.slice(2);
const scenarios = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort()
  .filter((f) => wanted.length === 0 || wanted.includes(f.replace(/\.bench\.ts$/, '')));
if (scenarios.length === 0) {
  console.error(`bench: no scenarios match ${wanted.join(', ') || '(all)'}`);
  process.exit(2);
}
let failed = 0;
for (const file of scenarios) {
  console.log(`\n=== ${file} ===`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', join(dir, file)], {
    stdio: 'inherit',
  });
  if (r.status !== 0) {
    failed += 1;
    console.error(`bench: ${file} exited with ${r.status ?? r.signal}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
