/**
 * Cluster routes: reads straight from the store, actions passed to the engine's commands (a recording stand-in
 * until the engine exists) with the caller as the audit actor, 503 while no engine runs, and the live stream.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { createApiServer } from '../../src/api/server.ts';
import type { ClusterSpec } from '../../src/core/model.ts';
import { createClusters, updateClusterStatus } from '../../src/store/clusters.ts';
import { recordEvents } from '../../src/store/events.ts';
import { openStore } from '../../src/store/open.ts';
import { type ApiFixture, type CallResult, forEachApiDriver, startApiFixture } from './fixture.ts';
import { emptyPlan, RecordingEngine } from './recording-engine.ts';

function spec(name: string, profile = 'fleet', version = '1.0.0'): ClusterSpec {
  return {
    name,
    cloudType: 'sim',
    profiles: [{ name: profile, version, revision: 1 }],
    overrides: {},
    pools: [],
    settings: { repave: 'manual', prune: false, selfHeal: true },
    labels: {},
  };
}

function engineOf(f: ApiFixture): RecordingEngine {
  return f.engine as RecordingEngine;
}

forEachApiDriver(
  (getFixture) => {
    it('lists clusters page by page with a cursor and filters by phase and profile', async (t) => {
      const f = getFixture(t);
      if (!f) return;
      const names = Array.from({ length: 25 }, (_, i) => `page-${String(i).padStart(2, '0')}`);
      await createClusters(
        f.store.db,
        { actor: 'test' },
        names.map((n, i) => spec(n, i % 5 === 0 ? 'other' : 'fleet')),
      );
      await updateClusterStatus(f.store.db, 'page-03', { phase: 'Running' });
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: CallResult = await f.call(
          'GET',
          `/v1/clusters?limit=10${cursor ? `&cursor=${cursor}` : ''}`,
          { token: f.tokens.viewer },
        );
        assert.equal(page.status, 200);
        seen.push(...(page.json.items as Array<{ name: string }>).map((c) => c.name));
        cursor = page.json.nextCursor as string | null;
      } while (cursor);
      assert.deepEqual(
        seen.filter((n) => n.startsWith('page-')),
        names,
      );
      const running = await f.call('GET', '/v1/clusters?phase=Running');
      assert.deepEqual(
        (running.json.items as Array<{ name: string }>).map((c) => c.name),
        ['page-03'],
      );
      const other = await f.call('GET', '/v1/clusters?profile=other@1.0.0&limit=100');
      assert.equal((other.json.items as unknown[]).length, 5);
      const badRef = await f.call('GET', '/v1/clusters?profile=other');
      assert.equal(badRef.status, 400);
      assert.equal(badRef.json.details?.field, 'querystring.profile');
    });

    it('lists summaries by default and whole documents with view=full, never the engine notes', async (t) => {
      const f = getFixture(t);
      if (!f) return;
      await createClusters(f.store.db, { actor: 'test' }, [spec('shape-1')]);
      const at = '2026-12-01T00:00:00.000Z';
      await updateClusterStatus(f.store.db, 'shape-1', {
        phase: 'Running',
        conditions: [
          { type: 'Ready', status: 'True', reason: 'Running', message: 'Running.', lastTransitionTime: at },
          { type: 'Drifted', status: 'True', reason: 'Drift', message: '1 object.', lastTransitionTime: at },
        ],
        engine: { nodes: { pools: [] } },
      });
      type Item = { name: string; spec: Record<string, unknown>; status: Record<string, unknown> };
      const items = async (query: string) =>
        ((await f.call('GET', `/v1/clusters?phase=Running${query}`)).json.items as Item[]).filter(
          (c) => c.name === 'shape-1',
        )[0]!;
      const summary = await items('');
      assert.deepEqual(Object.keys(summary.spec).sort(), ['cloudType', 'labels', 'profiles']);
      assert.deepEqual(
        (summary.status.conditions as Array<{ type: string }>).map((c) => c.type),
        ['Drifted'],
        'a list row carries only the conditions that ask for attention',
      );
      const full = await items('&view=full');
      assert.deepEqual(full.spec.pools, []);
      assert.equal((full.status.conditions as unknown[]).length, 2);
      assert.equal('engine' in full.status, false);
      const one = await f.call('GET', '/v1/clusters/shape-1');
      assert.deepEqual(one.json, full, 'view=full lists what the single read sends');
      const bad = await f.call('GET', '/v1/clusters?view=everything');
      assert.equal(bad.status, 400);
      assert.equal(bad.json.details?.field, 'querystring.view');
    });

    it('hides credentials in overrides and plans from viewers and operators, not from admins', async (t) => {
      const f = getFixture(t);
      if (!f) return;
      const withOverride = spec('creds-1');
      withOverride.overrides = {
        'hello-universe': {
          pack: 'hello-universe',
          values: 'helloUniverse:\n  db:\n    # per cluster\n    password: hunter2-db\n    port: 5432\n',
        },
      };
      await createClusters(f.store.db, { actor: 'test' }, [withOverride]);
      const read = async (path: string, token: string) => (await f.call('GET', path, { token })).text;
      for (const path of ['/v1/clusters/creds-1', '/v1/clusters?view=full&limit=1000']) {
        assert.ok((await read(path, f.tokens.admin)).includes('hunter2-db'), path);
        for (const token of [f.tokens.viewer, f.tokens.operator]) {
          const seen = await read(path, token);
          assert.equal(seen.includes('hunter2-db'), false, path);
          assert.ok(seen.includes('password: (hidden)') && seen.includes('port: 5432'), path);
        }
      }
      engineOf(f).nextPlan = emptyPlan({
        layers: [
          {
            pack: 'hello-universe',
            layer: 'addon',
            profile: 'fleet',
            change: 'values',
            fromVersion: '1.2.0',
            toVersion: '1.2.0',
            values: [
              { path: 'helloUniverse.db.password', kind: 'changed', from: 'hunter2-db', to: 'hunter3-db' },
              { path: 'helloUniverse.db.port', kind: 'changed', from: 5432, to: 5433 },
            ],
            presets: { enabled: [], disabled: [] },
            overridden: true,
            conflicts: [],
          },
        ],
      });
      const body = { kind: 'profiles', profiles: ['fleet@1.0.0'] };
      const viewerPlan = await f.call('POST', '/v1/clusters/creds-1/plan', { token: f.tokens.viewer, body });
      assert.equal(viewerPlan.status, 200);
      const layer = (viewerPlan.json.plan as { layers: Array<{ values: unknown[] }> }).layers[0]!;
      assert.deepEqual(layer.values, [
        { path: 'helloUniverse.db.password', kind: 'changed', from: '(hidden)', to: '(hidden)' },
        { path: 'helloUniverse.db.port', kind: 'changed', from: 5432, to: 5433 },
      ]);
      const operatorPlan = await f.call('POST', '/v1/clusters/creds-1/plan', {
        token: f.tokens.operator,
        body,
      });
      assert.equal(operatorPlan.text.includes('hunter3-db'), false);
      const adminPlan = await f.call('POST', '/v1/clusters/creds-1/plan', { body });
      assert.ok(adminPlan.text.includes('hunter3-db'));
      engineOf(f).nextPlan = null;
    });

    it('reads one cluster, its repave state and its events from the store; 404 for an unknown one', async (t) => {
      const f = getFixture(t);
      if (!f) return;
      await createClusters(f.store.db, { actor: 'test' }, [spec('read-me')]);
      await recordEvents(f.store.db, [
        { cluster: 'read-me', type: 'Normal', reason: 'Provisioned', message: 'ready' },
        { cluster: 'read-me', type: 'Warning', reason: 'Drift', message: 'restored' },
      ]);
      const one = await f.call('GET', '/v1/clusters/read-me', { token: f.tokens.viewer });
      assert.equal(one.status, 200);
      assert.equal((one.json.status as { phase: string }).phase, 'Pending');
      const repave = await f.call('GET', '/v1/clusters/read-me/repave');
      assert.deepEqual(repave.json.repave, { state: 'None' });
      const events = await f.call('GET', '/v1/clusters/read-me/events?limit=1');
      assert.deepEqual(
        (events.json.items as Array<{ reason: string }>).map((e) => e.reason),
        ['Drift'],
      );
      const tail = await f.call('GET', `/v1/clusters/read-me/events?afterId=0`);
      assert.deepEqual(
        (tail.json.items as Array<{ reason: string }>).map((e) => e.reason),
        ['Provisioned', 'Drift'],
      );
      assert.equal((await f.call('GET', '/v1/clusters/nope')).json.code, 'NotFound');
      assert.equal((await f.call('GET', '/v1/clusters/nope/events')).status, 404);
    });

    it('passes cluster commands to the engine with the caller as the audit actor', async (t) => {
      const f = getFixture(t);
      if (!f) return;
      const engine = engineOf(f);
      const created = await f.call('POST', '/v1/clusters', {
        token: f.tokens.operator,
        body: { name: 'eng-a', profiles: ['fleet@1.0.0'], controlPlane: 3, workers: 4 },
      });
      assert.equal(created.status, 201, created.text);
      const call = engine.calls.at(-1)!;
      assert.equal(call.command, 'createCluster');
      assert.match(call.actor!, /^op-/);
      assert.deepEqual(call.args[0], {
        name: 'eng-a',
        profiles: ['fleet@1.0.0'],
        controlPlane: 3,
        workers: 4,
      });

      const plan = await f.call('POST', '/v1/clusters/eng-a/plan', {
        token: f.tokens.viewer,
        body: { kind: 'profiles', profiles: ['fleet@1.1.0'], chain: true },
      });
      assert.equal(plan.status, 200, plan.text);
      const rv = plan.json.resourceVersion as number;
      const update = await f.call('POST', '/v1/clusters/eng-a/update', {
        token: f.tokens.operator,
        body: { kind: 'profiles', profiles: ['fleet@1.1.0'], expectedResourceVersion: rv },
      });
      assert.equal(update.status, 200, update.text);
      const applied = engine.calls.at(-2)!;
      assert.equal(applied.command, 'applyChange');
      assert.deepEqual(applied.args, [
        'eng-a',
        { kind: 'profiles', profiles: ['fleet@1.1.0'] },
        { expectedResourceVersion: rv },
      ]);
      const stale = await f.call('POST', '/v1/clusters/eng-a/update', {
        body: { kind: 'profiles', profiles: ['fleet@1.1.0'], expectedResourceVersion: rv + 7 },
      });
      assert.equal(stale.status, 409);

      const override = await f.call('POST', '/v1/clusters/eng-a/overrides', {
        token: f.tokens.operator,
        body: { pack: 'hello-universe', values: 'helloUniverse:\n  ui:\n    replicas: 3\n' },
      });
      assert.equal(override.status, 200, override.text);
      assert.deepEqual(engine.calls.at(-2)!.args[1], {
        kind: 'override',
        pack: 'hello-universe',
        values: 'helloUniverse:\n  ui:\n    replicas: 3\n',
      });

      const notPending = await f.call('POST', '/v1/clusters/eng-a/repave?confirm=eng-a', {
        body: { action: 'approve' },
      });
      assert.equal(notPending.status, 422);
      assert.equal(notPending.json.code, 'RepaveNotPending');
      await updateClusterStatus(f.store.db, 'eng-a', {
        repave: { state: 'Pending', reasons: [], requestedAt: new Date(0).toISOString() },
      });
      const approved = await f.call('POST', '/v1/clusters/eng-a/repave?confirm=eng-a', {
        token: f.tokens.operator,
        body: { action: 'approve' },
      });
      assert.equal((approved.json.repave as { state: string }).state, 'Approved');

      const prune = await f.call('POST', '/v1/clusters/eng-a/prune', { body: { dryRun: true } });
      assert.equal(prune.status, 200);
      assert.deepEqual(engine.calls.at(-1)!.args[1], { dryRun: true, force: false });
      const workloads = await f.call('GET', '/v1/clusters/eng-a/workloads', { token: f.tokens.viewer });
      assert.deepEqual(workloads.json, { namespaces: [] });

      const deleted = await f.call('DELETE', '/v1/clusters/eng-a?confirm=eng-a', {
        token: f.tokens.operator,
      });
      assert.equal(deleted.status, 202);
      assert.equal((deleted.json.status as { phase: string }).phase, 'Deleting');
    });

    it('makes destructive calls explicit: prune previews unless dryRun is false, and deleting, pruning or approving a repave needs ?confirm=NAME', async (t) => {
      const f = getFixture(t);
      if (!f) return;
      await createClusters(f.store.db, { actor: 'test' }, [spec('careful')]);
      const engine = engineOf(f);
      const calls = () => engine.calls.map((c) => c.command);
      // No body, or a body without dryRun, only previews.
      const bare = await f.call('POST', '/v1/clusters/careful/prune');
      assert.equal(bare.status, 200, bare.text);
      assert.deepEqual(engine.calls.at(-1)!.args[1], { dryRun: true, force: false });
      const empty = await f.call('POST', '/v1/clusters/careful/prune', { body: { force: true } });
      assert.equal(empty.status, 200, empty.text);
      assert.deepEqual(engine.calls.at(-1)!.args[1], { dryRun: true, force: true });
      const before = calls().length;
      for (const [method, url, body] of [
        ['POST', '/v1/clusters/careful/prune', { dryRun: false }],
        ['POST', '/v1/clusters/careful/prune?confirm=other', { dryRun: false }],
        ['DELETE', '/v1/clusters/careful', undefined],
        ['DELETE', '/v1/clusters/careful?confirm=Careful', undefined],
        ['POST', '/v1/clusters/careful/repave', { action: 'approve' }],
      ] as const) {
        const refused = await f.call(method, url, { body, token: f.tokens.operator });
        assert.equal(refused.status, 400, `${method} ${url}: ${refused.text}`);
        assert.equal(refused.json.code, 'ConfirmationRequired');
        assert.match(String(refused.json.message), /\?confirm=careful/);
      }
      const typo = await f.call('DELETE', '/v1/clusters/careful?confrim=careful');
      assert.equal(typo.json.code, 'UnknownField');
      assert.equal(typo.json.details?.suggestion, 'confirm');
      assert.equal(calls().length, before, 'nothing unconfirmed reached the engine');
      const pruned = await f.call('POST', '/v1/clusters/careful/prune?confirm=careful', {
        body: { dryRun: false },
      });
      assert.equal(pruned.status, 200, pruned.text);
      assert.deepEqual(engine.calls.at(-1)!.args[1], { dryRun: false, force: false });
      const deleted = await f.call('DELETE', '/v1/clusters/careful?confirm=careful');
      assert.equal(deleted.status, 202, deleted.text);
      assert.deepEqual(calls().slice(before), ['prune', 'deleteCluster']);
    });

    it('gives viewers read-only kubeconfigs only, and operators admin ones', async (t) => {
      const f = getFixture(t);
      if (!f) return;
      await createClusters(f.store.db, { actor: 'test' }, [spec('kc')]);
      const viewerAdmin = await f.call('GET', '/v1/clusters/kc/kubeconfig', { token: f.tokens.viewer });
      assert.equal(viewerAdmin.status, 403);
      assert.equal(viewerAdmin.json.code, 'Forbidden');
      const viewerRo = await f.call('GET', '/v1/clusters/kc/kubeconfig?role=read-only', {
        token: f.tokens.viewer,
      });
      assert.equal(viewerRo.status, 200);
      assert.match(viewerRo.text, /read-only kubeconfig of kc/);
      assert.match(String(viewerRo.headers['content-type']), /yaml/);
      const operatorAdmin = await f.call('GET', '/v1/clusters/kc/kubeconfig?role=admin', {
        token: f.tokens.operator,
      });
      assert.match(operatorAdmin.text, /admin kubeconfig/);
    });

    it('refuses cluster changes to viewers and bad bodies before they reach the engine', async (t) => {
      const f = getFixture(t);
      if (!f) return;
      const engine = engineOf(f);
      const before = engine.calls.length;
      assert.equal(
        (await f.call('POST', '/v1/clusters', { token: f.tokens.viewer, body: { name: 'v', profiles: [] } }))
          .status,
        403,
      );
      assert.equal((await f.call('DELETE', '/v1/clusters/x', { token: f.tokens.viewer })).status, 403);
      const badCp = await f.call('POST', '/v1/clusters', {
        body: { name: 'bad', profiles: ['a@1.0.0'], controlPlane: 2 },
      });
      assert.equal(badCp.status, 400);
      assert.equal(badCp.json.details?.field, 'body.controlPlane');
      const badKind = await f.call('POST', '/v1/clusters/x/plan', { body: { kind: 'teleport' } });
      assert.equal(badKind.status, 400);
      const badVersion = await f.call('POST', '/v1/clusters', { body: { name: 'bad', profiles: ['a@1.0'] } });
      assert.equal(badVersion.json.code, 'InvalidSemver');
      assert.equal(engine.calls.length, before);
    });

    it('answers 500 Internal without the cause, with a request ID that the server log names with the cause', async (t) => {
      const f = getFixture(t);
      if (!f) return;
      await createClusters(f.store.db, { actor: 'test' }, [spec('boom')]);
      engineOf(f).fail = new Error('database password is hunter2 at /secret/path');
      const logged = f.errorLog.length;
      const answer = await f.call('GET', '/v1/clusters/boom/workloads');
      assert.equal(answer.status, 500);
      const requestId = answer.json.details?.requestId;
      assert.match(String(requestId), /^req-[0-9a-f]{12}$/);
      assert.deepEqual(answer.json, {
        code: 'Internal',
        message: 'Internal error; the server log has the details.',
        details: { requestId },
      });
      assert.equal(answer.headers['x-request-id'], requestId);
      assert.doesNotMatch(answer.text, /hunter2|secret|at /);
      // The server was started without request logging, and still recorded this failure with its cause.
      const lines = f.errorLog.slice(logged).filter((l) => l.requestId === requestId);
      assert.equal(lines.length, 1, JSON.stringify(f.errorLog.slice(logged)));
      assert.match(JSON.stringify(lines[0]), /hunter2/);
      assert.match(String(lines[0]!.msg), /GET \/v1\/clusters\/boom\/workloads → 500 Internal/);
      // Every answer names its request, errors or not.
      const ok = await f.call('GET', '/v1/clusters/boom');
      assert.match(String(ok.headers['x-request-id']), /^req-[0-9a-f]{12}$/);
      assert.notEqual(ok.headers['x-request-id'], requestId);
    });

    it('answers 503 for rollouts, with the reason, when the server runs no engine', async (t) => {
      const f = getFixture(t);
      if (!f) return;
      const list = await f.call('GET', '/v1/rollouts', { token: f.tokens.viewer });
      assert.equal(list.status, 503);
      assert.match(String(list.json.message), /engine is not running in this server/i);
      const start = await f.call('POST', '/v1/rollouts', {
        token: f.tokens.viewer,
        body: { from: 'a@1.0.0', to: 'a@1.1.0' },
      });
      assert.equal(start.status, 403);
      assert.equal((await f.call('POST', '/v1/rollouts/r-1/pause')).status, 503);
    });
  },
  { engine: (store) => new RecordingEngine(store) },
);

describe('without an engine', () => {
  it('answers 503 Unavailable for cluster actions and still serves reads', async () => {
    const store = await openStore({ memory: true });
    const f = await startApiFixture(store, null);
    try {
      await createClusters(store.db, { actor: 'test' }, [spec('quiet')]);
      for (const [method, url, body] of [
        ['POST', '/v1/clusters', { name: 'n', profiles: ['a@1.0.0'] }],
        ['DELETE', '/v1/clusters/quiet?confirm=quiet', undefined],
        ['POST', '/v1/clusters/quiet/plan', { kind: 'profiles', profiles: ['a@1.0.0'] }],
        ['POST', '/v1/clusters/quiet/update', { kind: 'profiles', profiles: ['a@1.0.0'] }],
        ['POST', '/v1/clusters/quiet/overrides', { pack: 'calico', values: null }],
        ['POST', '/v1/clusters/quiet/repave?confirm=quiet', { action: 'approve' }],
        ['POST', '/v1/clusters/quiet/prune', { dryRun: true }],
        ['GET', '/v1/clusters/quiet/workloads', undefined],
        ['GET', '/v1/clusters/quiet/kubeconfig', undefined],
      ] as const) {
        const answer = await f.call(method, url, { body });
        assert.equal(answer.status, 503, `${method} ${url}: ${answer.text}`);
        assert.equal(answer.json.code, 'Unavailable');
        assert.match(String(answer.json.message), /engine is not running/);
      }
      assert.equal((await f.call('GET', '/v1/clusters/quiet')).status, 200);
      assert.equal((await f.call('GET', '/v1/clusters')).status, 200);
    } finally {
      await f.close();
      await store.close();
    }
  });

  it('streams live events over SSE with heartbeats, authenticated by ?token=, filtered by cluster', async () => {
    const store = await openStore({ memory: true });
    const f = await startApiFixture(store, null);
    await f.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (f.app.server.address() as AddressInfo).port;
    const controller = new AbortController();
    try {
      const refused = await fetch(`http://127.0.0.1:${port}/v1/events/stream`);
      assert.equal(refused.status, 401);
      const response = await fetch(
        `http://127.0.0.1:${port}/v1/clusters/alpha/events/stream?token=${f.tokens.viewer}`,
        {
          signal: controller.signal,
        },
      );
      assert.equal(response.status, 200);
      assert.match(String(response.headers.get('content-type')), /text\/event-stream/);
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      const readUntil = async (pattern: RegExp) => {
        while (!pattern.test(text)) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`stream ended before ${pattern}: ${text}`);
          text += decoder.decode(value);
        }
      };
      await readUntil(/: connected/);
      f.events.publish({ kind: 'cluster.phase', cluster: 'beta', data: { phase: 'Running' } });
      f.events.publish({ kind: 'cluster.phase', cluster: 'alpha', data: { phase: 'Provisioning' } });
      await readUntil(/event: cluster\.phase\ndata: .*Provisioning/);
      assert.doesNotMatch(text, /beta/);
      await readUntil(/: heartbeat/);
    } finally {
      controller.abort();
      await f.close();
      await store.close();
    }
    // The server closed although a stream had been open: streams end with the server.
    assert.equal(f.events.subscriberCount, 0);
  });

  it('serves HTTPS when given a certificate and key', async () => {
    const { loadOrCreatePki } = await import('../../src/sim/pki.ts');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const pki = await loadOrCreatePki(mkdtempSync(join(tmpdir(), 'strata-tls-')));
    const store = await openStore({ memory: true });
    const { loadBuiltinCatalog } = await import('../../src/catalog/load.ts');
    const app = createApiServer({
      store,
      catalog: await loadBuiltinCatalog(),
      engine: null,
      home: mkdtempSync(join(tmpdir(), 'strata-tls-home-')),
      tls: { cert: pki.serverCertPem, key: pki.serverKeyPem },
    });
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const port = (app.server.address() as AddressInfo).port;
      const { request } = await import('node:https');
      const status = await new Promise<number>((resolve, reject) => {
        request(
          { host: '127.0.0.1', port, path: '/v1/openapi.json', ca: pki.caCertPem, servername: 'localhost' },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        )
          .on('error', reject)
          .end();
      });
      assert.equal(status, 200);
    } finally {
      await app.close();
      await store.close();
    }
  });
});
