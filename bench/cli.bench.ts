/**
 * CLI benchmark: the wall time of whole `strata` runs as a shell starts them (`node bin/strata.js …`, the compiled
 * build): `--help`, `--version`, and `cluster list` against a running Strata (started in this process on free
 * ports, embedded store in memory, 20 clusters stored), 20 rounds after 3 unrecorded ones, each round running
 * every command once beside a bare `node -e 0` (what Node's own start costs on this machine). Prints each median and
 * p90, the median of what a run took beyond the same round's `node -e 0` (steadier on a busy machine than the
 * times), and the peak RSS of one more run. Goals (issue 24): `strata --help` < 150 ms, `strata cluster list` < 250 ms (medians).
 * `STRATA_BENCH_CLI_RUNS` changes the number of recorded runs.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCli, staleReason } from '../scripts/build-cli.mjs';
import { startStrata } from '../src/main/up.ts';
import { createClusters } from '../src/store/clusters.ts';
import { percentile, reportFigure } from './report.ts';

const root = new URL('..', import.meta.url).pathname;
const RUNS = Number(process.env.STRATA_BENCH_CLI_RUNS ?? '20') || 20;
const WARMUP = 3;
// Written by the measured process itself at exit: VmHWM is the peak RSS of the command's own memory (a spawned
// child's getrusage maxRSS would still count the parent it was forked from).
const RSS_PRELOAD =
  "data:text/javascript,import{readFileSync}from'node:fs';process.on('exit',()=>process.stderr.write('peak-rss '+/VmHWM:\\s*(\\d+)/.exec(readFileSync('/proc/self/status','utf8'))[1]+'\\n'))";

/** Runs `node args…` to its end (asynchronously: the server in this process must keep answering); returns ms. */
function timeRun(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [...args], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`node ${args.join(' ')} exited with ${code}:\n${stderr}`));
      else resolve({ ms: performance.now() - started, stderr });
    });
  });
}

/** What one command's runs came to. */
interface Figures {
  median: number;
  p90: number;
  /** The median of this run's time less `node -e 0`'s in the same round: the command's own cost. */
  overNode: number;
  rssMiB: number;
}

/**
 * Runs each command once per round, `RUNS` rounds after `WARMUP` unrecorded ones, and returns each one's figures.
 * Rounds interleave the commands so a change in the machine's load falls on all of them alike; the first command
 * is the baseline the others are compared with round by round.
 */
async function measure(
  commands: Record<string, readonly string[]>,
  env: NodeJS.ProcessEnv,
): Promise<Record<string, Figures>> {
  const names = Object.keys(commands);
  const times = new Map(names.map((n) => [n, [] as number[]]));
  for (let round = 0; round < WARMUP + RUNS; round += 1) {
    for (const name of names) {
      const { ms } = await timeRun(commands[name]!, env);
      if (round >= WARMUP) times.get(name)!.push(ms);
    }
  }
  const baseline = times.get(names[0]!)!;
  const figures: Record<string, Figures> = {};
  for (const name of names) {
    const own = times.get(name)!;
    const overNode = own.map((ms, i) => ms - baseline[i]!).sort((a, b) => a - b);
    const sorted = [...own].sort((a, b) => a - b);
    const { stderr } = await timeRun(['--import', RSS_PRELOAD, ...commands[name]!], env);
    figures[name] = {
      median: Math.round(percentile(sorted, 50)),
      p90: Math.round(percentile(sorted, 90)),
      overNode: Math.round(percentile(overNode, 50)),
      rssMiB: Math.round(Number(/peak-rss (\d+)/.exec(stderr)?.[1] ?? Number.NaN) / 1024),
    };
  }
  return figures;
}

const stale = staleReason();
if (stale !== null) {
  console.log(`  building the CLI first (${stale})`);
  await buildCli({ ifStale: true });
}

const home = mkdtempSync(join(tmpdir(), 'strata-bench-cli-'));
const strata = await startStrata({ home, memory: true, port: 0, kubePort: 0, databaseUrl: null });
try {
  await createClusters(
    strata.store.db,
    { actor: 'bench' },
    Array.from({ length: 20 }, (_, i) => ({
      name: `bench-cli-${i}`,
      cloudType: 'sim',
      profiles: [{ name: 'web', version: '1.0.0', revision: 1 }],
      overrides: {},
      pools: [],
      settings: { repave: 'manual', prune: false, selfHeal: true },
      labels: {},
    })),
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    STRATA_URL: strata.apiUrl,
    STRATA_TOKEN: strata.adminToken,
  };
  const bin = join(root, 'bin', 'strata.js');
  const { node, help, version, list } = await measure(
    {
      node: ['-e', '0'],
      help: [bin, '--help'],
      version: [bin, '--version'],
      list: [bin, 'cluster', 'list'],
    },
    env,
  );
  reportFigure(
    'cli',
    {
      runs: RUNS,
      nodeMedianMs: node!.median,
      helpMedianMs: help!.median,
      helpP90Ms: help!.p90,
      helpOverNodeMs: help!.overNode,
      helpRssMiB: help!.rssMiB,
      versionMedianMs: version!.median,
      clusterListMedianMs: list!.median,
      clusterListP90Ms: list!.p90,
      clusterListOverNodeMs: list!.overNode,
      clusterListRssMiB: list!.rssMiB,
    },
    `median of ${RUNS}: strata --help ${help!.median} ms (p90 ${help!.p90}, goal < 150; ${help!.overNode} ms ` +
      `beyond node's own start; ${help!.rssMiB} MiB), --version ${version!.median} ms, cluster list ` +
      `${list!.median} ms (p90 ${list!.p90}, goal < 250; ${list!.overNode} ms beyond node; ${list!.rssMiB} MiB); ` +
      `node -e 0 alone ${node!.median} ms (${node!.rssMiB} MiB)`,
  );
} finally {
  await strata.stop();
  rmSync(home, { recursive: true, force: true });
}
