/**
 * A typo must never change what a request means: every write body refuses the fields its route does not know
 * (400 `UnknownField`, naming the field and, when one is close, the field it most likely meant) before anything
 * reaches the engine or the store.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { ClusterSpec } from '../../src/core/model.ts';
import { createClusters } from '../../src/store/clusters.ts';
import { forEachApiDriver, profileYaml } from './fixture.ts';
import { RecordingEngine } from './recording-engine.ts';

function spec(name: string): ClusterSpec {
  return {
    name,
    cloudType: 'sim',
    profiles: [{ name: 'fleet', version: '1.0.0', revision: 1 }],
    overrides: {},
    pools: [],
    settings: { repave: 'manual', prune: false, selfHeal: true },
    labels: {},
  };
}

const profile = {
  name: 'strict',
  version: '1.0.0',
  type: 'full',
  layers: [
    { pack: 'ubuntu', version: '22.4.5' },
    { pack: 'kubernetes', version: '1.30.10' },
    { pack: 'calico', version: '3.28.2' },
  ],
};

forEachApiDriver(
  (getFixture) => {
    it('refuses {"dryrun": true} on prune with UnknownField and "did you mean dryRun?", pruning nothing', async (t) => {
      const f = getFixture(t);
      if (!f) return;
      await createClusters(f.store.db, { actor: 'test' }, [spec('typo')]);
      const engine = f.engine as RecordingEngine;
      const before = engine.calls.length;
      const answer = await f.call('POST', '/v1/clusters/typo/prune', { body: { dryrun: true } });
      assert.equal(answer.status, 400, answer.text);
      assert.equal(answer.json.code, 'UnknownField');
      assert.equal(answer.json.message, 'body.dryrun: unknown field "dryrun"; did you mean "dryRun"?');
      assert.equal(answer.json.details?.field, 'body.dryrun');
      assert.equal(answer.json.details?.suggestion, 'dryRun');
      assert.equal(engine.calls.length, before, 'the engine was not asked to prune');
    });

    it('names unknown fields in nested objects, list items and union branches, with a suggestion only when close', async (t) => {
      const f = getFixture(t);
      if (!f) return;
      const cases: Array<[string, string, unknown, string, string | undefined]> = [
        ['POST', '/v1/profiles', { ...profile, descriptoin: 'x' }, 'body.descriptoin', 'description'],
        [
          'POST',
          '/v1/profiles',
          { ...profile, layers: [{ ...profile.layers[0], valeus: 'a: 1' }, ...profile.layers.slice(1)] },
          'body.layers.0.valeus',
          'values',
        ],
        [
          'POST',
          '/v1/clusters',
          { name: 'c', profiles: ['strict@1.0.0'], settings: { selfheal: false } },
          'body.settings.selfheal',
          'selfHeal',
        ],
        [
          'POST',
          '/v1/clusters/typo/update',
          { kind: 'profiles', profiles: ['strict@1.0.0'], chian: true },
          'body.chian',
          'chain',
        ],
        [
          'POST',
          '/v1/clusters/typo/plan',
          { kind: 'override', pack: 'calico', values: null, prests: [] },
          'body.prests',
          'presets',
        ],
        [
          'POST',
          '/v1/rollouts',
          { from: 'a@1.0.0', to: 'a@1.1.0', soakSecond: 2 },
          'body.soakSecond',
          'soakSeconds',
        ],
        ['POST', '/v1/tokens', { name: 'ci', role: 'viewer', roles: ['admin'] }, 'body.roles', 'role'],
        ['POST', '/v1/clusters/typo/repave', { action: 'approve', zzzzzzzz: 1 }, 'body.zzzzzzzz', undefined],
        ['POST', '/v1/packs', { manifest: 'name: x', templtes: {} }, 'body.templtes', 'templates'],
        ['POST', '/v1/rollouts/r-1/pause', { force: true }, 'body.force', undefined],
      ];
      const engine = f.engine as RecordingEngine;
      const calls = engine.calls.length;
      for (const [method, url, body, field, suggestion] of cases) {
        const answer = await f.call(method, url, { body });
        assert.equal(answer.status, 400, `${url}: ${answer.text}`);
        assert.equal(answer.json.code, 'UnknownField', `${url}: ${answer.text}`);
        assert.equal(answer.json.details?.field, field, answer.text);
        assert.equal(answer.json.details?.suggestion, suggestion, answer.text);
        if (suggestion)
          assert.match(String(answer.json.message), new RegExp(`did you mean "${suggestion}"\\?`));
        else assert.doesNotMatch(String(answer.json.message), /did you mean/);
      }
      assert.equal(engine.calls.length, calls);
    });

    it('refuses unknown keys of a YAML profile file too, and names a hostile key escaped', async (t) => {
      const f = getFixture(t);
      if (!f) return;
      const answer = await f.call('POST', '/v1/profiles', {
        body: `${profileYaml('yaml-typo', '1.0.0')}clodType: edge\n`,
      });
      assert.equal(answer.status, 400, answer.text);
      assert.equal(answer.json.code, 'UnknownField');
      assert.equal(answer.json.details?.suggestion, 'cloudType');
      const hostile = await f.call('POST', '/v1/tokens', {
        body: { name: 'ci', role: 'viewer', 'evil\u202Ekey': 1 },
      });
      assert.equal(hostile.json.code, 'UnknownField');
      assert.doesNotMatch(String(hostile.json.message), /\u202E/);
      assert.match(String(hostile.json.message), /evil\\u202ekey/);
      assert.equal((await f.call('GET', '/v1/profiles/yaml-typo')).status, 404);
    });
  },
  { engine: (store) => new RecordingEngine(store) },
);
