/** The CLI's REST client: a request the server refused as busy (429) is sent again after `Retry-After`. */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { it } from 'node:test';
import { ApiClient, MAX_BUSY_RETRIES } from '../../src/cli/client.ts';

/** A server that answers 429 `busy` times, then 200; returns it with the times each request came. */
async function busyServer(busy: number, status = 429) {
  const seen: number[] = [];
  const server = createServer((req, res) => {
    req.resume();
    seen.push(Date.now());
    if (seen.length <= busy) {
      res.writeHead(status, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end(
        JSON.stringify({ code: 'TooManyRequests', message: 'busy', details: { retryAfterSeconds: 1 } }),
      );
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    seen,
    client: new ApiClient({ url, token: 't' }),
    close: () => new Promise((r) => server.close(r)),
  };
}

it('sends a request again after Retry-After while the server answers 429, then reports the answer', async () => {
  const s = await busyServer(2);
  try {
    assert.deepEqual(await s.client.request({ method: 'POST', path: '/v1/tokens', body: { name: 'x' } }), {
      ok: true,
    });
    assert.equal(s.seen.length, 3);
    assert.ok(s.seen[1]! - s.seen[0]! >= 950, 'waited the Retry-After second');
  } finally {
    await s.close();
  }
});

it('gives up after a few tries with the TooManyRequests error', async () => {
  const s = await busyServer(100);
  try {
    await assert.rejects(s.client.request({ method: 'GET', path: '/v1/packs' }), { code: 'TooManyRequests' });
    assert.equal(s.seen.length, MAX_BUSY_RETRIES + 1);
  } finally {
    await s.close();
  }
});

it('sends a request again after a 503 that says Retry-After (a database conflict)', async () => {
  const s = await busyServer(1, 503);
  try {
    assert.deepEqual(await s.client.request({ method: 'POST', path: '/v1/rollouts', body: {} }), {
      ok: true,
    });
    assert.equal(s.seen.length, 2);
  } finally {
    await s.close();
  }
});
