/**
 * Cluster labels (and rollout selectors, which match them) follow Kubernetes' syntax, refused with Kubernetes'
 * own wording before the engine or the store sees them.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachApiDriver } from './fixture.ts';
import { RecordingEngine } from './recording-engine.ts';

const create = (labels: Record<string, string>) => ({ name: 'labelled', profiles: ['fleet@1.0.0'], labels });

forEachApiDriver(
  (getFixture) => {
    it('refuses label keys and values outside Kubernetes syntax, saying why as Kubernetes does', async (t) => {
      const f = getFixture(t);
      if (!f) return;
      const engine = f.engine as RecordingEngine;
      const refused: Array<[Record<string, string>, RegExp]> = [
        [{ "x'); DROP TABLE clusters; --": 'a' }, /name part must consist of alphanumeric characters/],
        [{ '../../etc/passwd': 'a' }, /prefix part a lowercase RFC 1123 subdomain/],
        [{ '\u202Eevil': 'a' }, /name part must consist of alphanumeric characters/],
        [{ 'Example.com/x': 'a' }, /prefix part a lowercase RFC 1123 subdomain/],
        [{ 'example.com/': 'a' }, /name part must be non-empty/],
        [{ '/x': 'a' }, /prefix part must be non-empty/],
        [{ [`${'a'.repeat(64)}`]: 'a' }, /name part must be no more than 63 characters/],
        [{ [`${'a'.repeat(254)}/x`]: 'a' }, /prefix part must be no more than 253 characters/],
        [{ env: "x'); DROP TABLE clusters; --" }, /a valid label must be an empty string or consist of/],
        [{ env: '\u202Eesrever' }, /a valid label must be an empty string or consist of/],
        [{ env: '-lead' }, /a valid label must be an empty string or consist of/],
        [{ env: 'v'.repeat(64) }, /no more than 63 characters|too big|at most 63/i],
      ];
      for (const [labels, reason] of refused) {
        const answer = await f.call('POST', '/v1/clusters', { body: create(labels) });
        assert.equal(answer.status, 400, `${JSON.stringify(labels)}: ${answer.text}`);
        assert.equal(answer.json.code, 'ValidationFailed');
        assert.match(String(answer.json.details?.field), /^body\.labels/);
        assert.match(String(answer.json.message), reason, answer.text);
        assert.doesNotMatch(answer.text, /\u202E/, 'a bidirectional override is never echoed raw');
      }
      assert.equal(engine.calls.length, 0);
      const ok = await f.call('POST', '/v1/clusters', {
        body: create({
          'app.kubernetes.io/name': 'web',
          tier: '',
          env: 'prod_1.eu-west',
          'a.b-c/D_e.f': 'X',
        }),
      });
      assert.equal(ok.status, 201, ok.text);
    });

    it('refuses rollout selectors whose pairs are not labels', async (t) => {
      const f = getFixture(t);
      if (!f) return;
      for (const selector of [
        "env=x'); DROP TABLE clusters; --",
        '../../etc/passwd=x',
        'env',
        '\u202Eenv=prod',
        'env=prod,=x',
      ]) {
        const answer = await f.call('POST', '/v1/rollouts', {
          body: { from: 'a@1.0.0', to: 'a@1.1.0', selector },
        });
        assert.equal(answer.status, 400, `${selector}: ${answer.text}`);
        assert.equal(answer.json.details?.field, 'body.selector');
      }
    });
  },
  { engine: (store) => new RecordingEngine(store) },
);
