/**
 * The web console served by the API server on its own port: files of the build, `index.html` for the console's
 * routes, cache headers that let a rebuild show at once, a page saying how to build when there is no build, and
 * `/v1` left to the API (an unknown API path is still a JSON 404, never the console).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createApiServer } from '../../src/api/server.ts';
import { loadBuiltinCatalog } from '../../src/catalog/load.ts';
import { openStore, type Store } from '../../src/store/open.ts';

const INDEX =
  '<!doctype html><html><body><div id="root"></div><script src="/assets/index-a1b2c3.js"></script>';
const SCRIPT = 'console.log("strata console");';

describe('console served at /', () => {
  let dir: string;
  let store: Store;
  let built: FastifyInstance;
  let unbuilt: FastifyInstance;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-console-'));
    const webDir = join(dir, 'web');
    await mkdir(join(webDir, 'assets'), { recursive: true });
    await writeFile(join(webDir, 'index.html'), INDEX);
    await writeFile(join(webDir, 'assets', 'index-a1b2c3.js'), SCRIPT);
    await writeFile(join(webDir, 'robots.txt'), 'User-agent: *\nDisallow: /\n');
    await writeFile(join(dir, 'secret.txt'), 'outside the build');
    store = await openStore({ home: dir, memory: true });
    const catalog = await loadBuiltinCatalog();
    built = createApiServer({ store, catalog, engine: null, home: dir, webDir });
    unbuilt = createApiServer({ store, catalog, engine: null, home: dir, webDir: join(dir, 'not-built') });
    await Promise.all([built.ready(), unbuilt.ready()]);
  });
  after(async () => {
    await built?.close();
    await unbuilt?.close();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers / with index.html, revalidated on every load', async () => {
    const response = await built.inject({ method: 'GET', url: '/' });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /text\/html/);
    assert.equal(response.body, INDEX);
    assert.equal(response.headers['cache-control'], 'no-cache');
    // The token lives in the browser: scripts only from this server, no framing.
    assert.match(String(response.headers['content-security-policy']), /script-src 'self';/);
    assert.match(String(response.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
  });

  it('answers any console route (not a file) with index.html, query strings included', async () => {
    for (const url of ['/clusters', '/clusters/demo/profile', '/profiles/hello?tab=layers', '/index.html']) {
      const response = await built.inject({ method: 'GET', url });
      assert.equal(response.statusCode, 200, url);
      assert.equal(response.body, INDEX, url);
      assert.equal(response.headers['cache-control'], 'no-cache', url);
    }
  });

  it('serves hashed assets with a long immutable cache, other files without one', async () => {
    const asset = await built.inject({ method: 'GET', url: '/assets/index-a1b2c3.js' });
    assert.equal(asset.statusCode, 200);
    assert.equal(asset.body, SCRIPT);
    assert.match(String(asset.headers['content-type']), /javascript/);
    assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
    const robots = await built.inject({ method: 'GET', url: '/robots.txt' });
    assert.equal(robots.statusCode, 200);
    assert.match(robots.body, /Disallow/);
    assert.equal(robots.headers['cache-control'], 'no-cache');
    const head = await built.inject({ method: 'HEAD', url: '/assets/index-a1b2c3.js' });
    assert.equal(head.statusCode, 200);
  });

  it('answers a missing asset with a 404, not with the page', async () => {
    const response = await built.inject({ method: 'GET', url: '/assets/index-old999.js' });
    assert.equal(response.statusCode, 404);
    assert.equal(response.json().code, 'NotFound');
  });

  it('never serves a file outside the build', async () => {
    for (const url of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
      const response = await built.inject({ method: 'GET', url });
      assert.doesNotMatch(response.body, /outside the build/, url);
      assert.ok(response.statusCode < 500, `${url}: ${response.statusCode}`);
    }
  });

  it('keeps /v1 for the API: an unknown API path is a JSON 404 and the API still needs a token', async () => {
    for (const url of ['/v1/no-such-thing', '/v1', '/v1/clusters/x/nope']) {
      const response = await built.inject({ method: 'GET', url });
      assert.equal(response.statusCode, 404, url);
      assert.match(String(response.headers['content-type']), /application\/json/, url);
      assert.equal(response.json().code, 'NotFound', url);
    }
    const clusters = await built.inject({ method: 'GET', url: '/v1/clusters' });
    assert.equal(clusters.statusCode, 401);
    const spec = await built.inject({ method: 'GET', url: '/v1/openapi.json' });
    assert.equal(spec.statusCode, 200);
    assert.equal(
      Object.keys(spec.json().paths).some((path) => !path.startsWith('/v1')),
      false,
      'the console route is not part of the API description',
    );
    const post = await built.inject({ method: 'POST', url: '/clusters' });
    assert.equal(post.statusCode, 404);
    assert.equal(post.json().code, 'NotFound');
  });

  it('says how to build the console when there is no build, instead of failing', async () => {
    for (const url of ['/', '/clusters/demo']) {
      const response = await unbuilt.inject({ method: 'GET', url });
      assert.equal(response.statusCode, 200, url);
      assert.match(String(response.headers['content-type']), /text\/html/);
      assert.match(response.body, /console is not built/);
      assert.match(response.body, /npm run build/);
    }
    const api = await unbuilt.inject({ method: 'GET', url: '/v1/openapi.json' });
    assert.equal(api.statusCode, 200);
  });
});
