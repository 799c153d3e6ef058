/**
 * Several Strata processes on one PostgreSQL: `strata up` serves the API and runs the simulator, two
 * `strata worker` processes claim the engine's work from the shared queue. One worker is killed with SIGKILL
 * mid-way; the other finishes its share (leases expire), and every cluster ends Running with exactly its nodes.
 * What the workers change reaches the API process's live events through PostgreSQL's LISTEN/NOTIFY.
 * Then a fresh worker joins the survivor and the two split one fleet rollout: every cluster is changed exactly once.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { destroySharedAgents } from '../../src/kube/agents.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { localEngine, type RunningStrata, startStrata } from '../../src/main/up.ts';
import { listAudit } from '../../src/store/audit.ts';
import { getCluster } from '../../src/store/clusters.ts';
import { listRolloutMembers } from '../../src/store/rollouts.ts';
import {
  dropSchema,
  postgresUnavailableReason,
  testPostgresUrl,
  uniqueSchemaName,
} from '../support/postgres.ts';
import { requireOrSkip } from '../support/requirements.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CLUSTERS = ['mp-a', 'mp-b', 'mp-c', 'mp-d', 'mp-e', 'mp-f'];

interface Worker {
  child: ChildProcess;
  output: string[];
}

function startWorker(env: NodeJS.ProcessEnv): Promise<Worker> {
  // One step at a time, so a worker claims at most four steps at once and the other worker gets its share even
  // when a whole wave falls due at the same instant.
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'strata.js'), 'worker', '--concurrency', '1'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start:\n${output.join('')}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      if (output.join('').includes('Strata worker is up')) {
        clearTimeout(timer);
        resolve({ child, output });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => output.push(c.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}:\n${output.join('')}`));
    });
  });
}

describe('several processes on one PostgreSQL', async () => {
  const unavailable = await postgresUnavailableReason();
  let strata: RunningStrata | undefined;
  let home = '';
  let workerEnv: NodeJS.ProcessEnv = {};
  const schema = uniqueSchemaName('mp');
  const workers: Worker[] = [];

  before(async () => {
    if (unavailable) return;
    home = await mkdtemp(join(tmpdir(), 'strata-mp-'));
    process.env.STRATA_SIM_BOOT_MS = '300';
    strata = await startStrata({
      home,
      databaseUrl: testPostgresUrl,
      schema,
      port: 0,
      kubePort: 0,
      demo: true,
      // This process serves the API and the simulator; its engine takes commands but claims no work, as
      // `strata up --no-work` runs it.
      createEngine: localEngine,
      work: false,
    });
    workerEnv = {
      ...process.env,
      DATABASE_URL: testPostgresUrl,
      STRATA_DB_SCHEMA: schema,
      STRATA_HOME: home,
      STRATA_SIM_URL: strata.kubeUrl,
    };
    workers.push(...(await Promise.all([startWorker(workerEnv), startWorker(workerEnv)])));
  });

  after(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await strata?.stop();
    destroySharedAgents();
    if (!unavailable) await dropSchema(schema);
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('splits the work between worker processes and finishes a killed one’s share', async (t) => {
    if (!requireOrSkip(t, 'PostgreSQL', unavailable)) return;
    const s = strata!;
    // The API process claims no work: live events about these clusters can only come from the workers.
    const heard = new Set<string>();
    const unsubscribe = s.events.subscribe((e) => {
      if (e.cluster && e.kind === 'cluster.changed') heard.add(e.cluster);
    });
    for (const name of CLUSTERS) {
      await s.engine!.createCluster(
        { actor: 'tester' },
        { name, profiles: ['hello-universe-aws@1.0.0'], workers: 2 },
      );
    }
    // Let both workers claim some of the work, then kill one of them outright.
    await new Promise((r) => setTimeout(r, 1500));
    const victim = workers[0]!;
    victim.child.kill('SIGKILL');
    await new Promise((r) => victim.child.once('exit', r));

    const deadline = Date.now() + 200_000;
    const phases = new Map<string, string>();
    for (;;) {
      for (const name of [...CLUSTERS, 'cluster-update-deletion']) {
        const c = await getCluster(s.store.db, name);
        phases.set(name, `${c?.status.phase}/${c?.status.observedGeneration === c?.generation}`);
      }
      if ([...phases.values()].every((p) => p === 'Running/true')) break;
      if (Date.now() > deadline) {
        assert.fail(
          `clusters not Running: ${JSON.stringify(Object.fromEntries(phases))}\n${workers[1]!.output.join('')}`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }

    unsubscribe();
    assert.ok(
      CLUSTERS.every((c) => heard.has(c)),
      `the API process heard the workers' changes (heard: ${[...heard].join(', ')})`,
    );

    const owners = await sql<{ owner: string }>`
      SELECT DISTINCT split_part(lease_owner, ':', 2) AS owner FROM steps WHERE lease_owner IS NOT NULL
    `.execute(s.store.db);
    const pids = new Set(owners.rows.map((r) => r.owner));
    assert.ok(pids.has(String(workers[1]!.child.pid)), 'the surviving worker did work');
    assert.ok(!pids.has(String(process.pid)), 'the API process claimed nothing (worker: false)');

    for (const name of CLUSTERS) {
      const client = KubeClient.fromKubeconfig(await s.engine!.kubeconfig(name, 'admin'));
      const nodes = await client.list('v1', 'Node');
      assert.equal(nodes.length, 3, `${name}: one control-plane node and two workers, none doubled`);
      const deployments = await client.list('apps/v1', 'Deployment', { namespace: 'hello-universe' });
      assert.deepEqual(
        deployments.map((d) => (d.metadata as { name: string }).name),
        ['hello-universe-deployment'],
      );
    }
  });

  it('two worker processes split one rollout, and no cluster is changed twice', async (t) => {
    if (!requireOrSkip(t, 'PostgreSQL', unavailable)) return;
    const s = strata!;
    // The first test left one worker alive; a fresh one joins it.
    workers.push(await startWorker(workerEnv));
    const alive = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
    assert.equal(alive.length, 2, 'two workers are running');

    const opsBefore = await sql<{ id: string }>`SELECT id FROM operations`.execute(s.store.db);
    const before = opsBefore.rows.map((r) => r.id);
    const rollouts = s.engine!.rollouts!;
    const started = await rollouts.start(
      { actor: 'tester' },
      {
        from: 'hello-universe-aws@1.0.0',
        to: 'hello-universe-aws@1.1.0',
        canary: 1,
        growth: 10,
        soakSeconds: 0,
        progressDeadlineSeconds: 120,
      },
    );
    // Six test clusters and the demo cluster: a canary of one, then one wave of the six others.
    assert.deepEqual(
      started.waves.map((w) => w.size),
      [1, 6],
    );

    // Which processes hold leases on this rollout's work, sampled while it runs (a step put back to wait forgets
    // its owner; a completed one keeps the last).
    const pids = new Set<string>();
    const sampleOwners = async () => {
      const owners = await sql<{ owner: string }>`
        SELECT DISTINCT split_part(lease_owner, ':', 2) AS owner FROM steps
        WHERE lease_owner IS NOT NULL AND NOT (operation_id = ANY(${before}::text[]))
      `.execute(s.store.db);
      for (const r of owners.rows) pids.add(r.owner);
    };
    const deadline = Date.now() + 240_000;
    let view = await rollouts.get(started.id);
    while (view.state !== 'Completed') {
      if (['Halted', 'Cancelled'].includes(view.state) || Date.now() > deadline) {
        assert.fail(`rollout ended ${view.state}: ${JSON.stringify(view.counts)} ${view.haltReason ?? ''}`);
      }
      await sampleOwners();
      await new Promise((r) => setTimeout(r, 100));
      view = await rollouts.get(started.id);
    }
    const members = (await listRolloutMembers(s.store.db, started.id, { limit: 100 })).items;
    assert.deepEqual(
      members.map((m) => m.state),
      members.map(() => 'healthy'),
    );

    for (const name of [...CLUSTERS, 'cluster-update-deletion']) {
      const c = await getCluster(s.store.db, name);
      assert.deepEqual(
        c?.status.appliedProfiles.map((p) => `${p.name}@${p.version}`),
        ['hello-universe-aws@1.1.0'],
        `${name} runs the new version`,
      );
      const audit = await listAudit(s.store.db, { target: name });
      assert.equal(
        audit.filter((a) => a.action === 'cluster.update').length,
        1,
        `${name} was changed by the rollout exactly once`,
      );
      const client = KubeClient.fromKubeconfig(await s.engine!.kubeconfig(name, 'admin'));
      const deployments = await client.list('apps/v1', 'Deployment', { namespace: 'hello-universe' });
      // The API preset's three Deployments, none doubled; the old one stays as an unused object.
      assert.deepEqual(
        deployments.map((d) => (d.metadata as { name: string }).name).sort(),
        ['api', 'hello-universe-deployment', 'postgres', 'ui'],
        name,
      );
    }

    // Both live workers claimed steps of this rollout's work.
    await sampleOwners();
    for (const w of alive) assert.ok(pids.has(String(w.child.pid)), `worker ${w.child.pid} took part`);
  });
});
