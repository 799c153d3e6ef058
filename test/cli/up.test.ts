/**
 * `strata up`: the composition starts everything on free ports, makes the admin token, sets up the demo, stops
 * cleanly on SIGTERM, and a second start on the same home fails clearly with LockHeld.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEMO_CLUSTER, DEMO_PROFILE } from '../../src/main/demo.ts';
import { startStrata } from '../../src/main/up.ts';
import { RecordingEngine } from '../api/recording-engine.ts';

const root = new URL('../..', import.meta.url).pathname;

function runUp(
  home: string,
  onLine?: (line: string, stop: () => void) => void,
  extra: readonly string[] = [],
) {
  const child = spawn(
    process.execPath,
    [join(root, 'bin', 'strata.js'), 'up', '--home', home, '--port', '0', '--kube-port', '0', ...extra],
    {
      cwd: root,
      env: { ...process.env, DATABASE_URL: '', STRATA_PORT: '', STRATA_KUBE_PORT: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const line of d.toString().split('\n')) onLine?.(line, () => child.kill('SIGTERM'));
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('strata up', () => {
  it('starts on a home directory with the demo profiles and an admin token, and a second start fails with LockHeld', async () => {
    const home = mkdtempSync(join(tmpdir(), 'strata-up-'));
    const strata = await startStrata({ home, port: 0, kubePort: 0, demo: true, databaseUrl: null });
    try {
      assert.deepEqual(strata.demoCreated, [
        `profile ${DEMO_PROFILE}@1.0.0`,
        `profile ${DEMO_PROFILE}@1.1.0`,
      ]);
      assert.equal(statSync(strata.adminTokenPath).mode & 0o777, 0o600);
      assert.match(strata.apiUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.match(strata.kubeUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
      const answer = await fetch(`${strata.apiUrl}/v1/profiles/${DEMO_PROFILE}/versions/1.1.0`, {
        headers: { authorization: `Bearer ${strata.adminToken}` },
      });
      const profile = (await answer.json()) as { layers: Array<{ pack: string; presets: string[] }> };
      assert.deepEqual(
        profile.layers.map((l) => `${l.pack}:${l.presets.join(',')}`),
        ['ubuntu:', 'kubernetes:', 'calico:', 'csi-hostpath:', 'hello-universe:enable-api'],
      );
      await assert.rejects(startStrata({ home, port: 0, kubePort: 0, databaseUrl: null }), {
        code: 'LockHeld',
      });
      const second = await runUp(home);
      assert.equal(second.code, 1);
      assert.match(second.stderr, /^error: .*in use by process \d+.* \[LockHeld\]$/m);
    } finally {
      await strata.stop();
    }
    const again = await startStrata({ home, port: 0, kubePort: 0, demo: true, databaseUrl: null });
    try {
      assert.deepEqual(again.demoCreated, []);
      assert.equal(again.adminToken, strata.adminToken);
    } finally {
      await again.stop();
    }
  });

  it('creates the demo cluster from 1.0.0 when an engine runs', async () => {
    let engine: RecordingEngine | undefined;
    const strata = await startStrata({
      home: mkdtempSync(join(tmpdir(), 'strata-up-engine-')),
      memory: true,
      port: 0,
      kubePort: 0,
      demo: true,
      createEngine: async ({ store }) => {
        engine = new RecordingEngine(store);
        return { commands: engine, stop: async () => {} };
      },
    });
    try {
      assert.ok(strata.demoCreated.includes(`cluster ${DEMO_CLUSTER}`));
      assert.deepEqual(engine!.calls.find((c) => c.command === 'createCluster')!.args[0], {
        name: DEMO_CLUSTER,
        profiles: [`${DEMO_PROFILE}@1.0.0`],
      });
    } finally {
      await strata.stop();
    }
  });

  it('runs as a command, prints where everything is, and stops cleanly on SIGTERM', async () => {
    const home = mkdtempSync(join(tmpdir(), 'strata-up-cmd-'));
    let apiUrl = '';
    let served = 0;
    const result = await runUp(home, (line, stop) => {
      const match = /REST API:\s+(http:\/\/\S+)\/v1\s/.exec(line);
      if (match) apiUrl = match[1]!;
      if (line.startsWith('Stop with Ctrl-C.')) {
        fetch(`${apiUrl}/v1/openapi.json`)
          .then((r) => {
            served = r.status;
          })
          .finally(stop);
      }
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(served, 200);
    assert.match(result.stdout, /Admin token:\s+\S+admin\.token/);
    assert.match(result.stdout, /Try:\n {2}strata pack list\n/);
    // A fresh home has no profile: the hints say how to get one instead of naming the demo's.
    assert.match(result.stdout, /strata up --demo/);
    assert.doesNotMatch(result.stdout, /strata profile get/);
    assert.match(result.stderr, /SIGTERM: stopping Strata/);
    assert.equal(existsSync(join(home, 'db.lock')), false);
  });

  it('refuses --no-work on the embedded store, where no worker process could do the work', async () => {
    const home = mkdtempSync(join(tmpdir(), 'strata-up-no-work-'));
    const result = await runUp(home, undefined, ['--no-work']);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^error: .*--no-work.*needs PostgreSQL \(DATABASE_URL\).*\[ValidationFailed\]$/m,
    );
    assert.doesNotMatch(result.stdout, /Strata is up/);
    // Nothing is left holding the home: a normal start works at once.
    assert.equal(existsSync(join(home, 'db.lock')), false);
  });
});
