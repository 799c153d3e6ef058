/**
 * The real `strata` command (bin/strata.js, a subprocess) against a Strata started in-process on free ports:
 * output formats, exit codes, error lines, and the pack, profile, token and cluster commands.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import YAML from 'yaml';
import { type RunningStrata, startStrata } from '../../src/main/up.ts';
import { profileYaml } from '../api/fixture.ts';
import { emptyPlan, RecordingEngine } from '../api/recording-engine.ts';

const root = new URL('../..', import.meta.url).pathname;

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

let strata: RunningStrata;
let engine: RecordingEngine;
let work: string;

/** Runs `strata args…` with STRATA_URL/STRATA_HOME pointing at the test server; stdin is not a terminal. */
function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'strata.js'), ...args], {
      cwd: root,
      env: { ...process.env, STRATA_URL: strata.apiUrl, STRATA_HOME: strata.home, STRATA_TOKEN: '', ...env },
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

describe('strata CLI', () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'strata-cli-'));
    strata = await startStrata({
      home: join(work, 'home'),
      memory: true,
      port: 0,
      kubePort: 0,
      createEngine: async ({ store }) => {
        engine = new RecordingEngine(store);
        return { commands: engine, stop: async () => {} };
      },
    });
  });
  after(async () => {
    await strata.stop();
  });

  it('lists packs as a table, as JSON and as YAML', async () => {
    const [table, json, yaml, one] = await Promise.all([
      cli(['pack', 'list']),
      cli(['pack', 'list', '-o', 'json', '--layer', 'k8s']),
      cli(['-o', 'yaml', 'pack', 'get', 'hello-universe']),
      cli(['pack', 'get', 'hello-universe@1.2.0']),
    ]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^NAME\s+VERSION\s+LAYER\s+KIND\s+SOURCE\s+PRESETS/);
    assert.match(table.stdout, /hello-universe\s+1\.2\.0\s+addon\s+strata\s+built-in\s+enable-api/);
    const items = (JSON.parse(json.stdout) as { items: Array<{ layer: string }> }).items;
    assert.ok(items.length > 0 && items.every((p) => p.layer === 'k8s'));
    assert.deepEqual(
      (YAML.parse(yaml.stdout) as { versions: Array<{ version: string }> }).versions.map((v) => v.version),
      ['1.2.0', '1.3.0'],
    );
    assert.match(one.stdout, /Presets:\n {2}enable-api \(group backend\)/);
  });

  it('creates, lists, shows, edits in place and versions a profile', async () => {
    const file = join(work, 'web.yaml');
    writeFileSync(file, profileYaml('cli-web', '1.0.0'));
    const created = await cli(['profile', 'create', '-f', file]);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /profile cli-web@1\.0\.0 created \(revision 1\)/);

    const [list, get, yaml] = await Promise.all([
      cli(['profile', 'list']),
      cli(['profile', 'get', 'cli-web@1.0.0']),
      cli(['profile', 'get', 'cli-web@1.0.0', '-o', 'yaml']),
    ]);
    assert.match(list.stdout, /cli-web\s+1\.0\.0\s+1\s+full\s+sim/);
    assert.match(get.stdout, /ResourceVersion:\s+1/);
    assert.match(get.stdout, /hello-universe\s+1\.2\.0/);

    // The round trip: get -o yaml, change a value, edit -f. The file carries resourceVersion 1.
    const exported = join(work, 'web-export.yaml');
    const doc = YAML.parse(yaml.stdout) as {
      resourceVersion: number;
      layers: Array<{ pack: string; values: string }>;
    };
    assert.equal(doc.resourceVersion, 1);
    const hello = doc.layers.find((l) => l.pack === 'hello-universe')!;
    hello.values = hello.values.replace(/replicas: 1/, 'replicas: 3');
    writeFileSync(exported, YAML.stringify(doc));
    const edited = await cli(['profile', 'edit', 'cli-web@1.0.0', '-f', exported]);
    assert.equal(edited.code, 0, edited.stderr);
    assert.match(edited.stdout, /edited: revision 2/);
    assert.match(edited.stdout, /warning: .*new version/);

    const stale = await cli(['profile', 'edit', 'cli-web@1.0.0', '-f', exported]);
    assert.equal(stale.code, 1);
    assert.match(
      stale.stderr,
      /^error: Profile cli-web@1\.0\.0 was changed by someone else .* \[Conflict\]\n$/,
    );

    const [diff, version] = await Promise.all([
      cli(['profile', 'revisions', 'cli-web@1.0.0', '--from', '1', '--to', '2']),
      cli(['profile', 'version', 'cli-web@1.0.0', '1.1.0']),
    ]);
    assert.match(diff.stdout, /~ helloUniverse\.ui\.replicas: 1 → 3/);
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /profile cli-web@1\.1\.0 created from cli-web@1\.0\.0/);
  });

  it('creates, lists and revokes tokens; a revoked token is refused', async () => {
    const created = await cli(['token', 'create', 'cli-viewer', '--role', 'viewer']);
    assert.equal(created.code, 0, created.stderr);
    const token = created.stdout.trim();
    assert.match(token, /^strata_/);
    assert.match(created.stderr, /shown only this once/);
    const [list, asViewer, viewerWrite] = await Promise.all([
      cli(['token', 'list']),
      cli(['profile', 'list'], { STRATA_TOKEN: token }),
      cli(['token', 'list'], { STRATA_TOKEN: token }),
    ]);
    assert.match(list.stdout, /cli-viewer\s+tok-\S+\s+viewer/);
    assert.ok(!list.stdout.includes(token));
    assert.equal(asViewer.code, 0, asViewer.stderr);
    assert.equal(viewerWrite.code, 1);
    assert.match(viewerWrite.stderr, /\[Forbidden\]/);
    const revoked = await cli(['token', 'revoke', 'cli-viewer']);
    assert.equal(revoked.code, 0, revoked.stderr);
    const refused = await cli(['profile', 'list'], { STRATA_TOKEN: token });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /\[Unauthorized\]/);
  });

  it('exits 2 on usage errors, 1 on errors with one readable line, and prints errors as JSON with -o json', async () => {
    const [unknown, missingArg, badOutput, missingOption, notFound, jsonError, help] = await Promise.all([
      cli(['frobnicate']),
      cli(['pack', 'get']),
      cli(['pack', 'list', '-o', 'xml']),
      cli(['token', 'create', 'x']),
      cli(['profile', 'get', 'nope@1.0.0']),
      cli(['profile', 'get', 'nope@1.0.0', '-o', 'json']),
      cli(['--help']),
    ]);
    for (const r of [unknown, missingArg, badOutput, missingOption]) assert.equal(r.code, 2, r.stderr);
    assert.equal(notFound.code, 1);
    assert.equal(notFound.stderr, 'error: Profile nope@1.0.0 not found. [NotFound]\n');
    assert.equal(jsonError.code, 1);
    assert.deepEqual(JSON.parse(jsonError.stderr), {
      code: 'NotFound',
      message: 'Profile nope@1.0.0 not found.',
      details: { name: 'nope', version: '1.0.0' },
    });
    assert.equal(jsonError.stdout, '');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: strata/);
    const worker = await cli(['worker'], { DATABASE_URL: '' });
    assert.equal(worker.code, 1);
    assert.match(worker.stderr, /strata worker needs DATABASE_URL.*\[ValidationFailed\]/);
    const down = await cli(['pack', 'list'], { STRATA_URL: 'http://127.0.0.1:59999' });
    assert.equal(down.code, 1);
    assert.match(
      down.stderr,
      /Cannot reach Strata at http:\/\/127\.0\.0\.1:59999 \(ECONNREFUSED\).*\[Unavailable\]/,
    );
  });

  it('lists clusters filtered on the server by labels, name prefix and health, in either order', async () => {
    const { createClusters, updateClusterStatus } = await import('../../src/store/clusters.ts');
    await createClusters(
      strata.store.db,
      { actor: 'test' },
      ['shop-eu-1', 'shop-eu-2', 'shop-us-1', 'blog-eu-1'].map((name) => ({
        name,
        cloudType: 'sim' as const,
        profiles: [{ name: 'fleet', version: '1.0.0', revision: 1 }],
        overrides: {},
        pools: [],
        settings: { repave: 'manual' as const, prune: false, selfHeal: true },
        labels: { region: name.includes('-eu-') ? 'eu' : 'us' },
      })),
      { phase: 'Running', health: 'Healthy', kubernetesVersion: '1.30.10' },
    );
    await updateClusterStatus(strata.store.db, 'shop-eu-2', { health: 'Degraded' });
    const names = (r: CliResult) =>
      (JSON.parse(r.stdout) as { items: Array<{ name: string }> }).items.map((c) => c.name);
    const [eu, prefixed, degraded, reversed, bad] = await Promise.all([
      cli(['cluster', 'list', '-l', 'region=eu', '--prefix', 'shop-', '-o', 'json']),
      cli(['cluster', 'list', '--prefix', 'shop-']),
      cli(['cluster', 'list', '--health', 'Degraded', '-o', 'json']),
      cli(['cluster', 'list', '--search', '-eu-', '--desc', '-o', 'json']),
      cli(['cluster', 'list', '--notice', 'sunny']),
    ]);
    assert.deepEqual(names(eu), ['shop-eu-1', 'shop-eu-2']);
    assert.equal(prefixed.code, 0, prefixed.stderr);
    assert.deepEqual(
      prefixed.stdout
        .split('\n')
        .slice(1)
        .filter(Boolean)
        .map((line) => line.split(/\s+/)[0]),
      ['shop-eu-1', 'shop-eu-2', 'shop-us-1'],
    );
    assert.deepEqual(names(degraded), ['shop-eu-2']);
    assert.deepEqual(names(reversed), ['shop-eu-2', 'shop-eu-1', 'blog-eu-1']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /notice.*\[ValidationFailed\]/);
  });

  it('prints the request ID of an Internal error, so a user can quote it', async () => {
    const { createClusters } = await import('../../src/store/clusters.ts');
    await createClusters(strata.store.db, { actor: 'test' }, [
      {
        name: 'broken',
        cloudType: 'sim',
        profiles: [{ name: 'fleet', version: '1.0.0', revision: 1 }],
        overrides: {},
        pools: [],
        settings: { repave: 'manual', prune: false, selfHeal: true },
        labels: {},
      },
    ]);
    engine.fail = new Error('the disk caught fire');
    const failed = await cli(['cluster', 'workloads', 'broken']);
    assert.equal(failed.code, 1);
    assert.match(
      failed.stderr,
      /^error: Internal error; the server log has the details\. Request ID: req-[0-9a-f]{12}\. \[Internal\]\n$/,
    );
    assert.doesNotMatch(failed.stderr, /disk caught fire/);
  });

  it('deletes, prunes and approves repaves only when told --yes (or at the prompt), and then confirms to the server', async () => {
    const { createClusters, updateClusterStatus } = await import('../../src/store/clusters.ts');
    await createClusters(
      strata.store.db,
      { actor: 'test' },
      ['doomed', 'calm'].map((name) => ({
        name,
        cloudType: 'sim' as const,
        profiles: [{ name: 'fleet', version: '1.0.0', revision: 1 }],
        overrides: {},
        pools: [],
        settings: { repave: 'manual' as const, prune: false, selfHeal: true },
        labels: {},
      })),
    );
    await updateClusterStatus(strata.store.db, 'doomed', {
      repave: {
        state: 'Pending',
        reasons: [
          {
            code: 'OsPackChanged',
            message: 'OS ubuntu@22.4.5 → ubuntu@24.4.1',
            pools: ['workers'],
            packDiff: { pack: 'ubuntu', fromVersion: '22.4.5', toVersion: '24.4.1', paths: [] },
          },
        ],
        requestedAt: new Date(0).toISOString(),
      },
    });
    const commands = () => engine.calls.map((c) => c.command);
    const before = commands().length;
    for (const args of [
      ['cluster', 'delete', 'doomed'],
      ['cluster', 'prune', 'doomed'],
      ['cluster', 'repave', 'approve', 'doomed'],
    ]) {
      const refused = await cli(args);
      assert.equal(refused.code, 1, `${args.join(' ')}: ${refused.stderr}`);
      assert.match(refused.stderr, /stdin is not a terminal.*--yes/);
    }
    assert.match(
      (await cli(['cluster', 'repave', 'approve', 'doomed'])).stderr,
      /OS ubuntu@22\.4\.5 → ubuntu@24\.4\.1/,
    );
    // Only previews reached the engine.
    assert.deepEqual(
      engine.calls
        .slice(before)
        .map((c) => [c.command, (c.args[1] as { dryRun?: boolean } | undefined)?.dryRun]),
      [['prune', true]],
    );
    const pruned = await cli(['cluster', 'prune', 'doomed', '--yes']);
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.deepEqual(engine.calls.at(-1)!.args[1], {
      dryRun: false,
      force: false,
      objects: engine.unused,
    });
    const approved = await cli(['cluster', 'repave', 'approve', 'doomed', '--yes']);
    assert.equal(approved.code, 0, approved.stderr);
    assert.equal(engine.calls.at(-1)!.command, 'approveRepave');
    const deleted = await cli(['cluster', 'delete', 'doomed', '--yes']);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(engine.calls.at(-1)!.command, 'deleteCluster');
    const notPending = await cli(['cluster', 'repave', 'approve', 'calm', '--yes']);
    assert.equal(notPending.code, 1);
    assert.match(notPending.stderr, /no repave waiting for approval.*\[RepaveNotPending\]/);
  });

  it('shows the plan of an update and refuses to apply it without --yes when stdin is not a terminal', async () => {
    const created = await cli([
      'cluster',
      'create',
      'cli-c1',
      '--profile',
      'cli-web@1.0.0',
      '--workers',
      '3',
    ]);
    assert.equal(created.code, 0, created.stderr);
    assert.deepEqual(engine.calls.at(-1)!.args[0], {
      name: 'cli-c1',
      profiles: ['cli-web@1.0.0'],
      cloudType: 'sim',
      controlPlane: 1,
      workers: 3,
    });
    engine.nextPlan = emptyPlan({
      from: [{ name: 'cli-web', version: '1.0.0', revision: 2 }],
      to: [{ name: 'cli-web', version: '1.1.0', revision: 1 }],
      objects: {
        create: [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'hello-universe', name: 'api' }],
        change: [],
        unchanged: 0,
        unused: [],
        delete: [],
      },
    });
    const refused = await cli(['cluster', 'update', 'cli-c1', '--profile', 'cli-web@1.1.0']);
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /Plan for cluster cli-c1/);
    assert.match(refused.stdout, /create \(1\):\n {4}Deployment hello-universe\/api/);
    assert.match(refused.stderr, /stdin is not a terminal.*--yes/);
    assert.ok(!engine.calls.some((c) => c.command === 'applyChange'));

    const applied = await cli(['cluster', 'update', 'cli-c1', '--profile', 'cli-web@1.1.0', '--yes']);
    assert.equal(applied.code, 0, applied.stderr);
    const apply = engine.calls.find((c) => c.command === 'applyChange')!;
    assert.deepEqual(apply.args[1], { kind: 'profiles', profiles: ['cli-web@1.1.0'], chain: false });
    assert.deepEqual(apply.args[2], { expectedResourceVersion: 1 });

    engine.nextPlan = emptyPlan({
      errors: [
        {
          code: 'K8sDowngradeNotSupported',
          message: 'Kubernetes cannot be downgraded (1.31.6 → 1.30.10).',
          details: {},
        },
      ],
      applicable: false,
    });
    const downgrade = await cli(['cluster', 'plan', 'cli-c1', '--profile', 'cli-web@1.0.0']);
    assert.equal(downgrade.code, 1);
    assert.match(
      downgrade.stderr,
      /^error: Kubernetes cannot be downgraded \(1\.31\.6 → 1\.30\.10\)\. \[K8sDowngradeNotSupported\]/,
    );
    engine.nextPlan = null;

    const [list, listJson, get, kubeconfig] = await Promise.all([
      cli(['cluster', 'list']),
      cli(['cluster', 'list', '-o', 'json']),
      cli(['cluster', 'get', 'cli-c1']),
      cli(['cluster', 'kubeconfig', 'cli-c1', '--read-only']),
    ]);
    assert.match(list.stdout, /cli-c1\s+Pending\s+Unknown\s+cli-web@1\.0\.0#1/);
    // The table reads the list's summaries; -o json prints whole clusters (pools, settings), as kubectl's -o does.
    const listed = JSON.parse(listJson.stdout) as {
      items: Array<{ name: string; spec: { pools?: unknown[] } }>;
    };
    assert.ok(Array.isArray(listed.items.find((c) => c.name === 'cli-c1')?.spec.pools));
    assert.match(get.stdout, /Phase:\s+Pending/);
    assert.match(kubeconfig.stdout, /read-only kubeconfig of cli-c1/);
    const admin = readFileSync(strata.adminTokenPath, 'utf8').trim();
    assert.equal(admin, strata.adminToken);
  });
});
