/**
 * Transient database conflicts (a deadlock, a serialisation failure) are retried inside the server: the command
 * runs again and the client sees its answer; a conflict that outlasts the retries is 503 `Unavailable`
 * (`DatabaseConflict`, `Retry-After`), logged with its cause — never a bare 500.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTransientDatabaseError, retryTransient, TRANSIENT_ATTEMPTS } from '../../src/api/transient.ts';
import type { ClusterSpec } from '../../src/core/model.ts';
import type { EngineCommands } from '../../src/engine/contract.ts';
import { createClusters } from '../../src/store/clusters.ts';
import { openStore } from '../../src/store/open.ts';
import { startApiFixture } from './fixture.ts';
import { RecordingEngine } from './recording-engine.ts';

const deadlock = () => Object.assign(new Error('deadlock detected'), { code: '40P01' });

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

describe('transient database conflicts', () => {
  it('tells deadlocks and serialisation failures (also wrapped as a cause) from other errors', async () => {
    assert.equal(isTransientDatabaseError(deadlock()), true);
    assert.equal(isTransientDatabaseError({ code: '40001' }), true);
    assert.equal(isTransientDatabaseError(new Error('x', { cause: deadlock() })), true);
    assert.equal(isTransientDatabaseError({ code: '23505' }), false);
    assert.equal(isTransientDatabaseError(new Error('boom')), false);
    let runs = 0;
    const result = await retryTransient(
      async () => {
        runs++;
        if (runs < 3) throw deadlock();
        return 'done';
      },
      TRANSIENT_ATTEMPTS,
      async () => {},
    );
    assert.deepEqual([result, runs], ['done', 3]);
  });

  it('retries a change that met a deadlock and answers it as if nothing happened', async () => {
    const store = await openStore({ memory: true });
    const engine = new RecordingEngine(store);
    const f = await startApiFixture(store, engine);
    try {
      await createClusters(store.db, { actor: 'test' }, [spec('busy')]);
      engine.fail = deadlock();
      const answer = await f.call('POST', '/v1/clusters/busy/update', {
        body: { kind: 'profiles', profiles: ['fleet@1.0.0'] },
      });
      assert.equal(answer.status, 200, answer.text);
      assert.deepEqual(
        engine.calls.filter((c) => c.command === 'applyChange').length,
        2,
        'the change ran again after the deadlock',
      );
    } finally {
      await f.close();
      await store.close();
    }
  });

  it('answers a conflict that outlasts the retries 503 DatabaseConflict with Retry-After, logged with its cause', async () => {
    const store = await openStore({ memory: true });
    let starts = 0;
    const engine = {
      rollouts: {
        start: async () => {
          starts++;
          throw deadlock();
        },
      },
    } as unknown as EngineCommands;
    const f = await startApiFixture(store, engine);
    try {
      const answer = await f.call('POST', '/v1/rollouts', { body: { from: 'a@1.0.0', to: 'a@1.1.0' } });
      assert.equal(answer.status, 503, answer.text);
      assert.equal(answer.json.code, 'Unavailable');
      assert.equal(answer.json.details?.reason, 'DatabaseConflict');
      assert.equal(answer.headers['retry-after'], '1');
      assert.equal(starts, TRANSIENT_ATTEMPTS);
      const requestId = answer.json.details?.requestId;
      const line = f.errorLog.find((l) => l.requestId === requestId);
      assert.ok(line, 'the failure is logged under its request ID');
      assert.match(JSON.stringify(line), /deadlock detected/);
      assert.doesNotMatch(answer.text, /deadlock detected/);
    } finally {
      await f.close();
      await store.close();
    }
  });
});
