/**
 * The override example of docs/workflows.md, taken from the document itself and run through the engine: a
 * partial values file is laid over the layer's values (it used to replace them, and the example failed with
 * `TemplateRenderFailed`). Only the path it sets changes; comments and every other value stay; `key: null`
 * removes a key; `replace` takes whole values.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { getCluster } from '../../src/store/clusters.ts';
import {
  converged,
  createProfile,
  type EngineFixture,
  helloProfile,
  startEngineFixture,
  TESTER,
  waitForCluster,
} from './engine-fixture.ts';

const workflows = readFileSync(new URL('../../docs/workflows.md', import.meta.url), 'utf8');
/** The values file of the docs' override example (`cat > api-replicas.yaml <<'EOF' … EOF`). */
const docsExample = /cat > api-replicas\.yaml <<'EOF'\n([\s\S]*?)\nEOF/.exec(workflows)?.[1];

describe('the override example of docs/workflows.md', () => {
  let fx: EngineFixture;
  before(async () => {
    fx = await startEngineFixture();
    await createProfile(fx, helloProfile('1.1.0', true));
    await fx.engine.createCluster(TESTER, { name: 'docs', profiles: ['hello-universe-aws@1.1.0'] });
    await waitForCluster(fx, 'docs', converged, 'Running');
  });
  after(async () => {
    await fx?.close();
  });

  it('is in the document', () => {
    assert.ok(docsExample, 'docs/workflows.md has the api-replicas.yaml example');
  });

  it('plans only the path it sets and applies, keeping the rest of the layer and its comments', async () => {
    const values = `${docsExample!}\n`;
    const view = await fx.engine.planChange('docs', { kind: 'override', pack: 'hello-universe', values });
    assert.equal(view.plan.applicable, true, JSON.stringify(view.plan.errors));
    const layer = view.plan.layers.find((l) => l.pack === 'hello-universe')!;
    assert.deepEqual(
      layer.values.map((v) => `${v.kind} ${v.path}`),
      ['changed helloUniverse.api.replicas'],
    );
    const before = view.layers.find((l) => l.pack === 'hello-universe')!.current!;
    const pending = view.layers.find((l) => l.pack === 'hello-universe')!.pending!;
    const comments = (text: string) => text.split('\n').filter((l) => l.trim().startsWith('#'));
    assert.deepEqual(comments(pending), comments(before), 'every comment of the layer stays');
    await fx.engine.applyChange(TESTER, 'docs', { kind: 'override', pack: 'hello-universe', values });
    await waitForCluster(fx, 'docs', converged, 'Running');
    const stored = await getCluster(fx.store.db, 'docs');
    assert.match(stored!.spec.overrides['hello-universe']!.values, /replicas: 2/);
  });

  it('keeps earlier overrides; replace takes whole values', async () => {
    const view = await fx.engine.planChange('docs', {
      kind: 'override',
      pack: 'hello-universe',
      values: 'helloUniverse:\n  ui:\n    replicas: 4\n',
    });
    const paths = view.plan.layers
      .find((l) => l.pack === 'hello-universe')!
      .values.map((v) => `${v.kind} ${v.path}`);
    assert.ok(paths.includes('changed helloUniverse.ui.replicas'), paths.join(', '));
    const pending = view.layers.find((l) => l.pack === 'hello-universe')!.pending!;
    assert.match(pending, /replicas: 2/, 'the earlier override (api replicas) is kept');
    // replace: the text sent is the layer's values, as it is (here: the profile's own, comments and all).
    const profileValues = view.layers
      .find((l) => l.pack === 'hello-universe')!
      .current!.replace(/replicas: 2/, 'replicas: 1');
    const whole = await fx.engine.planChange('docs', {
      kind: 'override',
      pack: 'hello-universe',
      values: profileValues,
      replace: true,
    });
    assert.equal(whole.layers.find((l) => l.pack === 'hello-universe')!.pending, profileValues);
  });
});
