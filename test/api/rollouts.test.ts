/**
 * Rollouts through the REST API on PGlite and PostgreSQL: preview (waves, one shared plan, nothing stored),
 * start (201 with waves and members; waiting clusters show why), list with pages, get with wave counts and a
 * member filter, pause / resume / cancel with 422 `RolloutNotActive`, bad input (400), roles (viewers read,
 * operators act) and `rollout.changed` on the live bus. The engine runs commands only (no worker), so the
 * rollout stays in its first wave and every state change seen here is one the API made.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { LiveEvent } from '../../src/api/event-bus.ts';
import type { RolloutPreview } from '../../src/api/schemas.ts';
import { loadBuiltinCatalog } from '../../src/catalog/load.ts';
import type { ClusterSpec } from '../../src/core/model.ts';
import { DEFAULT_SETTINGS, defaultPools } from '../../src/engine/cluster-input.ts';
import { startEngine } from '../../src/engine/engine.ts';
import { createClusters, getCluster } from '../../src/store/clusters.ts';
import { ROLLOUT_CONDITION } from '../../src/store/rollouts.ts';
import { type ApiFixture, forEachApiDriver, profileYaml } from './fixture.ts';

const catalog = await loadBuiltinCatalog();

/** Stores Running clusters on `profile@1.0.0` directly (no simulator: the engine here never reconciles). */
async function seedFleet(
  fx: ApiFixture,
  profile: string,
  names: string[],
  labels: Record<string, string> = {},
) {
  const specs: ClusterSpec[] = names.map((name) => ({
    name,
    cloudType: 'sim',
    profiles: [{ name: profile, version: '1.0.0', revision: 1 }],
    overrides: {},
    pools: defaultPools(1, 1),
    settings: { ...DEFAULT_SETTINGS },
    labels,
  }));
  await createClusters(fx.store.db, { actor: 'test' }, specs, {
    phase: 'Running',
    health: 'Healthy',
    observedGeneration: 1,
    appliedProfiles: specs[0]!.profiles,
  });
}

async function createProfiles(fx: ApiFixture, name: string): Promise<void> {
  for (const [version, api] of [
    ['1.0.0', false],
    ['1.1.0', true],
  ] as const) {
    const res = await fx.call('POST', '/v1/profiles', { body: profileYaml(name, version, { api }) });
    assert.equal(res.status, 201, res.text);
  }
}

forEachApiDriver(
  (getFixture) => {
    it('previews the waves and one shared plan, and stores nothing', async (t) => {
      const fx = getFixture(t);
      if (!fx) return;
      await createProfiles(fx, 'api-ro-a');
      await seedFleet(fx, 'api-ro-a', ['ca-01', 'ca-02', 'ca-03', 'ca-04', 'ca-05', 'ca-06', 'ca-07']);
      await seedFleet(fx, 'api-ro-a', ['ca-edge'], { tier: 'edge' });
      const res = await fx.call('POST', '/v1/rollouts', {
        token: fx.tokens.operator,
        body: { from: 'api-ro-a@1.0.0', to: 'api-ro-a@1.1.0', preview: true },
      });
      assert.equal(res.status, 200, res.text);
      const preview = res.json as unknown as RolloutPreview;
      assert.deepEqual(
        preview.waves.map((w) => w.size),
        [1, 4, 3],
      );
      assert.equal(preview.totals.eligible, 8);
      assert.equal(preview.plans.length, 1, 'clusters sharing a configuration share one plan');
      assert.equal(preview.plans[0]!.clusters, 8);
      assert.equal(preview.to.revision, 1);
      const selected = await fx.call('POST', '/v1/rollouts', {
        body: { from: 'api-ro-a@1.0.0', to: 'api-ro-a@1.1.0', selector: 'tier=edge', preview: true },
      });
      assert.equal((selected.json as unknown as RolloutPreview).totals.eligible, 1);
      const list = await fx.call('GET', '/v1/rollouts', { token: fx.tokens.viewer });
      assert.equal(list.status, 200);
      assert.deepEqual(list.json.items, []);
    });

    it('starts, reads, pauses, resumes and cancels, refusing what the state does not allow', async (t) => {
      const fx = getFixture(t);
      if (!fx) return;
      await createProfiles(fx, 'api-ro-b');
      await seedFleet(fx, 'api-ro-b', ['cb-01', 'cb-02', 'cb-03', 'cb-04', 'cb-05', 'cb-06']);
      const seen: LiveEvent[] = [];
      const unsubscribe = fx.events.subscribe((e) => {
        if (e.kind === 'rollout.changed') seen.push(e);
      });
      const started = await fx.call('POST', '/v1/rollouts', {
        token: fx.tokens.operator,
        body: { from: 'api-ro-b@1.0.0', to: 'api-ro-b@1.1.0', canary: 2, soakSeconds: 60, maxFailures: 1 },
      });
      assert.equal(started.status, 201, started.text);
      const id = started.json['id'] as string;
      assert.match(id, /^ro-[a-z0-9]+$/);
      assert.equal(started.json['state'], 'Running');
      assert.deepEqual(started.json['waveSizes'], [2, 4]);
      assert.equal(started.json['maxFailures'], 1);
      const waiting = (await getCluster(fx.store.db, 'cb-06'))?.status.conditions.find(
        (c) => c.type === ROLLOUT_CONDITION,
      );
      assert.equal(waiting?.reason, 'WaitingForWave');
      assert.equal(waiting?.message, `Rollout ${id}: waiting for wave 2 of 2.`);

      const again = await fx.call('POST', '/v1/rollouts', {
        body: { from: 'api-ro-b@1.0.0', to: 'api-ro-b@1.1.0' },
      });
      assert.equal(again.status, 409, 'one active rollout per source version');

      const got = await fx.call('GET', `/v1/rollouts/${id}?wave=2&limit=3`, { token: fx.tokens.viewer });
      assert.equal(got.status, 200, got.text);
      const waves = got.json['waves'] as Array<{
        wave: number;
        size: number;
        counts: Record<string, number>;
      }>;
      assert.deepEqual(
        waves.map((w) => [w.wave, w.size, w.counts['waiting']]),
        [
          [1, 2, 2],
          [2, 4, 4],
        ],
      );
      const members = got.json['members'] as {
        items: Array<{ cluster: string; wave: number }>;
        nextCursor: string;
      };
      assert.deepEqual(
        members.items.map((m) => m.cluster),
        ['cb-03', 'cb-04', 'cb-05'],
      );
      const next = await fx.call(
        'GET',
        `/v1/rollouts/${id}?wave=2&limit=3&cursor=${encodeURIComponent(members.nextCursor)}`,
      );
      assert.deepEqual(
        (next.json['members'] as { items: Array<{ cluster: string }> }).items.map((m) => m.cluster),
        ['cb-06'],
      );

      assert.equal(
        (await fx.call('POST', `/v1/rollouts/${id}/pause`, { token: fx.tokens.viewer })).status,
        403,
        'viewers cannot pause',
      );
      const paused = await fx.call('POST', `/v1/rollouts/${id}/pause`, { token: fx.tokens.operator });
      assert.equal(paused.status, 200, paused.text);
      assert.equal(paused.json['state'], 'Paused');
      const pausedAgain = await fx.call('POST', `/v1/rollouts/${id}/pause`);
      assert.equal(pausedAgain.status, 422);
      assert.equal(pausedAgain.json.code, 'RolloutNotActive');
      const resumed = await fx.call('POST', `/v1/rollouts/${id}/resume`, { token: fx.tokens.operator });
      assert.equal(resumed.json['state'], 'Running');
      const cancelled = await fx.call('POST', `/v1/rollouts/${id}/cancel`, { token: fx.tokens.operator });
      assert.equal(cancelled.json['state'], 'Cancelled');
      assert.equal(
        (await getCluster(fx.store.db, 'cb-06'))?.status.conditions.find((c) => c.type === ROLLOUT_CONDITION),
        undefined,
        'a cancelled rollout leaves no waiting condition behind',
      );
      const resumeCancelled = await fx.call('POST', `/v1/rollouts/${id}/resume`);
      assert.equal(resumeCancelled.json.code, 'RolloutNotActive');
      unsubscribe();
      assert.deepEqual(
        seen.map((e) => e.data['action']),
        ['start', 'pause', 'resume', 'cancel'],
      );

      const page1 = await fx.call('GET', '/v1/rollouts?limit=1');
      assert.equal((page1.json.items as unknown[]).length, 1);
      const audit = await fx.call('GET', `/v1/audit?target=${id}`);
      assert.deepEqual((audit.json.items as Array<{ action: string }>).map((a) => a.action).sort(), [
        'rollout.cancel',
        'rollout.pause',
        'rollout.resume',
        'rollout.start',
      ]);
    });

    it('refuses bad input, unknown rollouts and viewers starting one', async (t) => {
      const fx = getFixture(t);
      if (!fx) return;
      const bad = [
        { from: 'nope', to: 'api-ro-a@1.1.0' },
        { from: 'api-ro-a@1.0.0', to: 'api-ro-a@1.1.0', canary: 0 },
        { from: 'api-ro-a@1.0.0', to: 'api-ro-a@1.1.0', maxFailures: -1 },
        { from: 'api-ro-a@1.0.0', to: 'api-ro-a@1.1.0', soakSeconds: 'long' },
        { from: 'api-ro-a@1.0.0', to: 'api-ro-a@1.1.0', selector: 'no-equals-sign', preview: true },
      ];
      for (const body of bad) {
        const res = await fx.call('POST', '/v1/rollouts', { body });
        assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
      }
      const missing = await fx.call('POST', '/v1/rollouts', {
        body: { from: 'api-ro-zz@1.0.0', to: 'api-ro-a@1.1.0', preview: true },
      });
      assert.equal(missing.status, 404);
      const viewer = await fx.call('POST', '/v1/rollouts', {
        token: fx.tokens.viewer,
        body: { from: 'api-ro-a@1.0.0', to: 'api-ro-a@1.1.0' },
      });
      assert.equal(viewer.status, 403);
      assert.equal((await fx.call('GET', '/v1/rollouts/ro-unknown')).status, 404);
      assert.equal((await fx.call('GET', '/v1/rollouts/Bad_Id')).status, 400);
      assert.equal((await fx.call('GET', '/v1/rollouts', { token: null })).status, 401);
    });
  },
  { engine: (store) => startEngine({ store, catalog, sim: null, worker: false }).engine },
);
