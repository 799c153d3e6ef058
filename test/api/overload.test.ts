/**
 * Overload: beyond what may run and wait in its class, a request is answered at once 429 `TooManyRequests` with
 * `Retry-After` — never a reset connection — and the requests let in are answered normally. Tested with a
 * burst at a server whose limits are set small.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureAdminToken } from '../../src/api/admin-token.ts';
import { createApiServer } from '../../src/api/server.ts';
import { loadBuiltinCatalog } from '../../src/catalog/load.ts';
import type { ClusterSpec } from '../../src/core/model.ts';
import type { EngineCommands } from '../../src/engine/contract.ts';
import { createClusters } from '../../src/store/clusters.ts';
import { openStore, type Store } from '../../src/store/open.ts';

function spec(i: number): ClusterSpec {
  return {
    name: `load-${String(i).padStart(4, '0')}`,
    cloudType: 'sim',
    profiles: [{ name: 'web', version: '1.0.0', revision: 1 }],
    overrides: {},
    pools: [],
    settings: { repave: 'manual', prune: false, selfHeal: true },
    labels: {},
  };
}

let releaseHeld: () => void = () => {};
const held = {
  promise: new Promise<void>((resolve) => {
    releaseHeld = resolve;
  }),
  resolve: () => releaseHeld(),
};

async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Outcome {
  status: number | string;
  retryAfter?: string;
  code?: string;
}

/** Sends `count` requests at once, each on its own connection (no pooling), and returns how each ended. */
function burst(
  port: number,
  token: string,
  path: string,
  count: number,
  onAnswer: (outcome: Outcome) => void = () => {},
): Promise<Outcome[]> {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Outcome>((settle) => {
          const resolve = (outcome: Outcome) => {
            onAnswer(outcome);
            settle(outcome);
          };
          const req = http.get(
            { host: '127.0.0.1', port, path, agent, headers: { authorization: `Bearer ${token}` } },
            (res) => {
              let text = '';
              res.on('data', (d: Buffer) => (text += d));
              res.on('end', () =>
                resolve({
                  status: res.statusCode ?? 0,
                  retryAfter: res.headers['retry-after'] as string | undefined,
                  code: res.statusCode === 200 ? undefined : (JSON.parse(text) as { code: string }).code,
                }),
              );
            },
          );
          req.on('error', (e: Error & { code?: string }) => resolve({ status: e.code ?? 'error' }));
        }),
    ),
  );
}

describe('overload', () => {
  let store: Store;
  let server: ReturnType<typeof createApiServer>;
  let port: number;
  let token: string;
  before(async () => {
    store = await openStore({ memory: true });
    await createClusters(
      store.db,
      { actor: 'test' },
      Array.from({ length: 300 }, (_, i) => spec(i)),
    );
    const home = mkdtempSync(join(tmpdir(), 'strata-overload-'));
    // An engine whose workloads answer only when the test says so: requests then run and wait for as long as
    // the test needs, so the burst meets a full class every time.
    const engine = {
      workloads: async () => {
        await held.promise;
        return { namespaces: [] };
      },
    } as unknown as EngineCommands;
    server = createApiServer({
      store,
      catalog: await loadBuiltinCatalog(),
      engine,
      home,
      errorLog: { write: () => {} },
      admission: { read: { concurrency: 1, queue: 8, maxWaitMs: 5_000 }, stream: { concurrency: 2 } },
    });
    await server.listen({ port: 0, host: '127.0.0.1' });
    port = (server.server.address() as AddressInfo).port;
    token = (await ensureAdminToken(store, home)).token;
  });
  after(async () => {
    await server.close();
    await store.close();
  });

  it('answers a burst beyond the read queue 429 with Retry-After at once, and the rest 200, with no connection reset', async () => {
    let answeredSoFar = 0;
    const answered = burst(port, token, '/v1/clusters/load-0001/workloads', 200, () => answeredSoFar++);
    // All but nine are refused while one request runs and eight wait; then those nine are let through.
    await waitFor(() => answeredSoFar === 191);
    assert.deepEqual(server.admission.load().read, { running: 1, waiting: 8 });
    const early = await Promise.race([
      answered.then(() => 'all answered'),
      new Promise((r) => setTimeout(() => r('still waiting'), 200)),
    ]);
    assert.equal(early, 'still waiting', 'the nine let in wait for the engine');
    held.resolve();
    const outcomes = await answered;
    const by = new Map<string, number>();
    for (const o of outcomes) by.set(String(o.status), (by.get(String(o.status)) ?? 0) + 1);
    assert.deepEqual(
      [...by.keys()].filter((s) => s !== '200' && s !== '429'),
      [],
      `only 200 and 429: ${JSON.stringify(Object.fromEntries(by))}`,
    );
    assert.deepEqual(Object.fromEntries(by), { '200': 9, '429': 191 });
    for (const o of outcomes.filter((x) => x.status === 429)) {
      assert.equal(o.code, 'TooManyRequests');
      assert.match(String(o.retryAfter), /^[1-9]\d*$/);
    }
    // Once the burst is over, the server answers again.
    const [after] = await burst(port, token, '/v1/clusters/load-0001/workloads', 1);
    assert.equal(after!.status, 200);
  });

  it('counts event streams and refuses one past the limit with 429', async () => {
    const controller = new AbortController();
    const open = async () =>
      fetch(`http://127.0.0.1:${port}/v1/events/stream`, {
        headers: { authorization: `Bearer ${token}` },
        signal: controller.signal,
      });
    try {
      const [a, b] = [await open(), await open()];
      assert.deepEqual([a.status, b.status], [200, 200]);
      const third = await open();
      assert.equal(third.status, 429);
      assert.equal(((await third.json()) as { code: string }).code, 'TooManyRequests');
      assert.ok(third.headers.get('retry-after'));
    } finally {
      controller.abort();
    }
    // A closed stream frees its place.
    await new Promise((r) => setTimeout(r, 200));
    const again = new AbortController();
    const fourth = await fetch(`http://127.0.0.1:${port}/v1/events/stream`, {
      headers: { authorization: `Bearer ${token}` },
      signal: again.signal,
    });
    assert.equal(fourth.status, 200);
    again.abort();
  });
});
