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
import { createClusters, updateClusterSpecs } from '../../src/store/clusters.ts';
import { openStore } from '../../src/store/open.ts';
import { setRolloutCondition } from '../../src/store/rollouts.ts';
import {
  dropSchema,
  postgresUnavailableReason,
  testPostgresUrl,
  uniqueSchemaName,
} from '../support/postgres.ts';
import { requireOrSkip } from '../support/requirements.ts';
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

describe('batch writes of clusters on PostgreSQL', () => {
  it('never deadlock: a rollout start setting 1,999 conditions while a driver applies batches of 256 specs', async (t) => {
    if (!requireOrSkip(t, 'PostgreSQL', await postgresUnavailableReason())) return;
    const schema = uniqueSchemaName('dl');
    const store = await openStore({ databaseUrl: testPostgresUrl, schema });
    try {
      const names = Array.from({ length: 2_000 }, (_, i) => `c-${String(i).padStart(5, '0')}`);
      await createClusters(store.db, { actor: 'test' }, names.map(spec));
      // Rows rewritten out of order, as a live fleet's are: heap order is no longer name order.
      await setRolloutCondition(
        store.db,
        names.filter((_, i) => i % 3 === 0),
        null,
        new Date().toISOString(),
      );
      await store.db
        .updateTable('clusters')
        .set({ health: 'Healthy' })
        .where(
          'name',
          'in',
          names.filter((_, i) => i % 3 === 0),
        )
        .execute();
      const deadline = Date.now() + 8_000;
      let deadlocks = 0;
      let starts = 0;
      const count = (error: unknown) => {
        if ((error as { code?: string }).code === '40P01') deadlocks++;
        else throw error;
      };
      const start = async () => {
        while (Date.now() < deadline) {
          await store
            .transaction((trx) =>
              setRolloutCondition(
                trx,
                names.slice(1),
                { status: 'True', reason: 'WaitingForWave', message: 'w' },
                new Date().toISOString(),
              ),
            )
            .then(() => starts++, count);
        }
      };
      const apply = async () => {
        while (Date.now() < deadline) {
          const from = Math.floor(Math.random() * (names.length - 256));
          const batch = names.slice(from, from + 256);
          await store
            .transaction(async (trx) => {
              const rows = await trx
                .selectFrom('clusters')
                .select(['spec', 'resource_version'])
                .where('name', 'in', batch)
                .execute();
              await updateClusterSpecs(
                trx,
                { actor: 'test' },
                rows.map((r) => ({
                  spec: r.spec as ClusterSpec,
                  expectedResourceVersion: r.resource_version,
                })),
              );
              await setRolloutCondition(trx, batch, null, new Date().toISOString());
            })
            .catch(count);
        }
      };
      await Promise.all([start(), apply(), apply()]);
      assert.ok(starts > 0);
      assert.equal(deadlocks, 0, `${deadlocks} deadlocks in ${starts} starts`);
    } finally {
      await store.close();
      await dropSchema(schema);
    }
  });
});
