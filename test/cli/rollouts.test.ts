/**
 * `strata rollout …` (bin/strata.js, a subprocess) against a Strata started in-process with the engine's commands
 * (no worker, so a rollout stays where the commands put it): the preview table, the confirmation refused without
 * a terminal, start --yes, list and get tables, pause / resume / cancel with exit 1 on `RolloutNotActive`, and
 * `--wait` exiting 1 with the halt reason when a rollout ends Halted.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ClusterSpec } from '../../src/core/model.ts';
import { DEFAULT_SETTINGS, defaultPools } from '../../src/engine/cluster-input.ts';
import { startEngine } from '../../src/engine/engine.ts';
import { type RunningStrata, startStrata } from '../../src/main/up.ts';
import { createClusters } from '../../src/store/clusters.ts';
import { updateRollout } from '../../src/store/rollouts.ts';
import { profileYaml } from '../api/fixture.ts';

const root = new URL('../..', import.meta.url).pathname;

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

let strata: RunningStrata;

function cli(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'strata.js'), ...args], {
      cwd: root,
      env: { ...process.env, STRATA_URL: strata.apiUrl, STRATA_HOME: strata.home, STRATA_TOKEN: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end();
  });
}

async function postProfile(name: string, version: string, api: boolean): Promise<void> {
  const res = await fetch(`${strata.apiUrl}/v1/profiles`, {
    method: 'POST',
    headers: { authorization: `Bearer ${strata.adminToken}`, 'content-type': 'application/yaml' },
    body: profileYaml(name, version, { api }),
  });
  assert.equal(res.status, 201, await res.text());
}

describe('strata rollout', () => {
  before(async () => {
    const work = mkdtempSync(join(tmpdir(), 'strata-cli-rollouts-'));
    strata = await startStrata({
      home: join(work, 'home'),
      memory: true,
      port: 0,
      kubePort: 0,
      createEngine: async ({ store, catalog, sim }) => {
        const running = startEngine({ store, catalog, sim, worker: false });
        return { commands: running.engine, stop: () => running.stop() };
      },
    });
    await postProfile('cli-ro', '1.0.0', false);
    await postProfile('cli-ro', '1.1.0', true);
    const specs: ClusterSpec[] = ['cr-1', 'cr-2', 'cr-3', 'cr-4', 'cr-5'].map((name) => ({
      name,
      cloudType: 'sim',
      profiles: [{ name: 'cli-ro', version: '1.0.0', revision: 1 }],
      overrides: {},
      pools: defaultPools(1, 1),
      settings: { ...DEFAULT_SETTINGS },
      labels: {},
    }));
    await createClusters(strata.store.db, { actor: 'test' }, specs, {
      phase: 'Running',
      health: 'Healthy',
      observedGeneration: 1,
      appliedProfiles: specs[0]!.profiles,
    });
  });
  after(async () => {
    await strata?.stop();
  });

  it('previews as tables, refuses to start without confirmation, and starts with --yes', async () => {
    const preview = await cli([
      'rollout',
      'start',
      '--from',
      'cli-ro@1.0.0',
      '--to',
      'cli-ro@1.1.0',
      '--preview',
    ]);
    assert.equal(preview.code, 0, preview.stderr);
    assert.match(preview.stdout, /5 cluster\(s\) matched: 5 to move, 0 skipped/);
    assert.match(preview.stdout, /^WAVE\s+CLUSTERS\s+FIRST$/m);
    assert.match(preview.stdout, /^1\s+1\s+cr-1$/m);
    assert.match(preview.stdout, /^2\s+4\s+cr-2, cr-3, cr-4, cr-5$/m);
    assert.match(preview.stdout, /^5\s+1\s+cr-1\s+no\s+hello-universe values/m);

    const unconfirmed = await cli(['rollout', 'start', '--from', 'cli-ro@1.0.0', '--to', 'cli-ro@1.1.0']);
    assert.equal(unconfirmed.code, 1);
    assert.match(unconfirmed.stderr, /re-run with --yes/);
    const none = await cli(['rollout', 'list', '-o', 'json']);
    assert.deepEqual(JSON.parse(none.stdout).items, [], 'nothing started without confirmation');

    const started = await cli([
      'rollout',
      'start',
      '--from',
      'cli-ro@1.0.0',
      '--to',
      'cli-ro@1.1.0',
      '--soak',
      '30s',
      '--yes',
    ]);
    assert.equal(started.code, 0, started.stderr);
    const id = /Rollout (ro-[a-z0-9]+):/.exec(started.stdout)?.[1];
    assert.ok(id, started.stdout);
    assert.match(started.stdout, /State: Running, wave 1 of 2/);

    const list = await cli(['rollout', 'list']);
    assert.match(list.stdout, /^ID\s+FROM\s+TO\s+STATE\s+WAVE\s+AGE$/m);
    assert.match(
      list.stdout,
      new RegExp(`^${id}\\s+cli-ro@1\\.0\\.0\\s+cli-ro@1\\.1\\.0#1\\s+Running\\s+1/2`, 'm'),
    );
    const get = await cli(['rollout', 'get', id, '--wave', '2']);
    assert.match(get.stdout, /^2\s+4\s+4 waiting$/m);
    assert.match(get.stdout, /^cr-5\s+2\s+waiting/m);

    const paused = await cli(['rollout', 'pause', id]);
    assert.equal(paused.code, 0, paused.stderr);
    assert.match(paused.stdout, /Paused, wave 1 of 2/);
    const again = await cli(['rollout', 'pause', id]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /is Paused; it cannot be paused\. \[RolloutNotActive\]/);
    assert.equal((await cli(['rollout', 'resume', id])).code, 0);

    // The engine halts rollouts (see test/engine/rollouts.test.ts); here the store says so, and --wait reports it.
    await updateRollout(strata.store.db, id, {
      state: 'Halted',
      haltReason: 'Cluster cr-1 failed: it never became available.',
      haltCluster: 'cr-1',
    });
    const waited = await cli(['rollout', 'get', id, '--wait']);
    assert.equal(waited.code, 1);
    assert.match(waited.stdout, /Halted: Cluster cr-1 failed/);
    assert.match(waited.stdout, /Rollout ro-[a-z0-9]+ Halted: Cluster cr-1 failed/);
    const cancelled = await cli(['rollout', 'cancel', id, '-o', 'json']);
    assert.equal(JSON.parse(cancelled.stdout).state, 'Cancelled');
  });
});
