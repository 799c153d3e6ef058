/** Who may do what: bearer tokens and roles, token management, the admin token file, the audit log, OpenAPI. */
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { it } from 'node:test';
import { adminTokenPath, ensureAdminToken } from '../../src/api/admin-token.ts';
import { forEachApiDriver, profileYaml } from './fixture.ts';

forEachApiDriver((getFixture) => {
  it('writes the admin token to $STRATA_HOME/admin.token with mode 0600 and keeps it across starts', async (t) => {
    const f = getFixture(t);
    if (!f) return;
    const path = adminTokenPath(f.home);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(readFileSync(path, 'utf8').trim(), f.tokens.admin);
    const again = await ensureAdminToken(f.store, f.home);
    assert.equal(again.token, f.tokens.admin);
    assert.equal(again.created, false);
  });

  it('answers 401 without a token or with a forged one, and 403 when the role is too weak', async (t) => {
    const f = getFixture(t);
    if (!f) return;
    for (const token of [null, '', 'strata_forged', `${f.tokens.admin}x`, 'Bearer', 'a'.repeat(600)]) {
      const answer = await f.call('GET', '/v1/packs', { token });
      assert.equal(answer.status, 401, String(token));
      assert.equal(answer.json.code, 'Unauthorized');
    }
    const basic = await f.app.inject({
      method: 'GET',
      url: '/v1/packs',
      headers: { authorization: `Basic ${f.tokens.admin}` },
    });
    assert.equal(basic.statusCode, 401);
    const matrix: Array<[string, string, keyof typeof f.tokens, number]> = [
      ['GET', '/v1/tokens', 'viewer', 403],
      ['GET', '/v1/tokens', 'operator', 403],
      ['GET', '/v1/tokens', 'admin', 200],
      ['GET', '/v1/audit', 'viewer', 200],
      ['GET', '/v1/profiles', 'viewer', 200],
      ['GET', '/v1/clusters', 'viewer', 200],
    ];
    for (const [method, url, role, status] of matrix) {
      const answer = await f.call(method, url, { token: f.tokens[role] });
      assert.equal(answer.status, status, `${role} ${method} ${url}`);
      if (status === 403) assert.match(String(answer.json.message), /needs the admin role/);
    }
    const viewerWrite = await f.call('POST', '/v1/profiles', {
      token: f.tokens.viewer,
      body: profileYaml('nope', '1.0.0'),
    });
    assert.equal(viewerWrite.json.code, 'Forbidden');
    const operatorTokens = await f.call('POST', '/v1/tokens', {
      token: f.tokens.operator,
      body: { name: 'x', role: 'admin' },
    });
    assert.equal(operatorTokens.status, 403);
  });

  it('creates a token shown once, lists tokens without secrets, and a revoked token stops working at once', async (t) => {
    const f = getFixture(t);
    if (!f) return;
    const made = await f.call('POST', '/v1/tokens', { body: { name: 'ci-bot', role: 'viewer' } });
    assert.equal(made.status, 201, made.text);
    const secret = made.json.token as string;
    assert.match(secret, /^strata_/);
    assert.equal((await f.call('GET', '/v1/packs', { token: secret })).status, 200);
    const list = await f.call('GET', '/v1/tokens');
    assert.ok((list.json.items as Array<{ name: string }>).some((x) => x.name === 'ci-bot'));
    assert.ok(!list.text.includes(secret));
    assert.doesNotMatch(list.text, /token_hash|"hash"/);
    const dup = await f.call('POST', '/v1/tokens', { body: { name: 'ci-bot', role: 'admin' } });
    assert.equal(dup.json.code, 'AlreadyExists');
    const badRole = await f.call('POST', '/v1/tokens', { body: { name: 'x', role: 'root' } });
    assert.equal(badRole.status, 400);
    assert.equal(badRole.json.details?.field, 'body.role');
    const revoked = await f.call('DELETE', '/v1/tokens/ci-bot');
    assert.equal(revoked.status, 200, revoked.text);
    assert.ok(revoked.json.revokedAt);
    const after = await f.call('GET', '/v1/packs', { token: secret });
    assert.equal(after.status, 401);
    assert.equal((await f.call('DELETE', '/v1/tokens/ci-bot')).status, 404);
    const byId = await f.call('POST', '/v1/tokens', { body: { name: 'ci-bot', role: 'operator' } });
    assert.equal((await f.call('DELETE', `/v1/tokens/${byId.json.id as string}`)).status, 200);
  });

  it('records every change in the audit log, filterable by actor, action, target and time, and as CSV', async (t) => {
    const f = getFixture(t);
    if (!f) return;
    const start = new Date(Date.now() - 1000).toISOString();
    await f.call('POST', '/v1/profiles', { token: f.tokens.operator, body: profileYaml('audited', '1.0.0') });
    await f.call('PUT', '/v1/profiles/audited/versions/1.0.0', {
      token: f.tokens.operator,
      body: profileYaml('audited', '1.0.0', { replicas: 2 }),
      headers: { 'if-match': '1' },
    });
    const byTarget = await f.call('GET', '/v1/audit?target=audited@1.0.0', { token: f.tokens.viewer });
    const actions = (byTarget.json.items as Array<{ action: string; actor: string }>).map((e) => e.action);
    assert.deepEqual(actions, ['profile.edit', 'profile.create']);
    const operatorName = (byTarget.json.items as Array<{ actor: string }>)[0]!.actor;
    assert.match(operatorName, /^op-/);
    const byAction = await f.call(
      `GET`,
      `/v1/audit?action=profile.edit&actor=${operatorName}&since=${encodeURIComponent(start)}`,
    );
    assert.equal((byAction.json.items as unknown[]).length, 1);
    const future = await f.call(
      'GET',
      `/v1/audit?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
    );
    assert.deepEqual(future.json.items, []);
    const paged = await f.call('GET', '/v1/audit?limit=1');
    assert.equal((paged.json.items as unknown[]).length, 1);
    const next = await f.call('GET', `/v1/audit?limit=1&cursor=${paged.json.nextCursor as string}`);
    assert.notDeepEqual(next.json.items, paged.json.items);
    const csv = await f.call('GET', '/v1/audit?format=csv&target=audited@1.0.0');
    assert.match(String(csv.headers['content-type']), /text\/csv/);
    const lines = csv.text.trim().split('\r\n');
    assert.equal(lines[0], 'id,at,actor,action,targetKind,target,before,after');
    assert.equal(lines.length, 3);
    assert.match(lines[1]!, /profile\.edit,profile,audited@1\.0\.0,"\{""revision"":1\}"/);
    const badSince = await f.call('GET', '/v1/audit?since=yesterday');
    assert.equal(badSince.status, 400);
  });

  it('serves a valid OpenAPI 3 document listing every route, without a token', async (t) => {
    const f = getFixture(t);
    if (!f) return;
    const answer = await f.call('GET', '/v1/openapi.json', { token: null });
    assert.equal(answer.status, 200);
    const doc = JSON.parse(answer.text) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    assert.match(doc.openapi, /^3\./);
    for (const path of [
      '/v1/packs',
      '/v1/packs/{name}/versions/{version}',
      '/v1/profiles',
      '/v1/profiles/{name}/versions/{version}',
      '/v1/profiles/{name}/versions/{version}/revisions',
      '/v1/profiles/{name}/versions/{version}/copy',
      '/v1/clusters',
      '/v1/clusters/{name}',
      '/v1/clusters/{name}/plan',
      '/v1/clusters/{name}/update',
      '/v1/clusters/{name}/overrides',
      '/v1/clusters/{name}/repave',
      '/v1/clusters/{name}/prune',
      '/v1/clusters/{name}/workloads',
      '/v1/clusters/{name}/kubeconfig',
      '/v1/clusters/{name}/events',
      '/v1/events/stream',
      '/v1/rollouts',
      '/v1/audit',
      '/v1/tokens',
      '/v1/tokens/{ref}',
    ]) {
      assert.ok(doc.paths[path], `missing ${path}`);
    }
    const put = doc.paths['/v1/profiles/{name}/versions/{version}']!.put as {
      requestBody: { content: Record<string, unknown> };
    };
    assert.ok(put.requestBody.content['application/json']);
  });

  it('answers errors in one shape: bad JSON, unknown route, huge body, wrong content type', async (t) => {
    const f = getFixture(t);
    if (!f) return;
    const badJson = await f.call('POST', '/v1/profiles', {
      body: '{"name": ',
      contentType: 'application/json',
    });
    assert.equal(badJson.status, 400);
    assert.equal(badJson.json.code, 'BadRequest');
    const unknown = await f.call('GET', '/v1/nowhere');
    assert.deepEqual([unknown.status, unknown.json.code], [404, 'NotFound']);
    const huge = await f.call('POST', '/v1/profiles', { body: `name: ${'x'.repeat(2 * 1024 * 1024)}\n` });
    assert.deepEqual([huge.status, huge.json.code], [413, 'PayloadTooLarge']);
    const text = await f.call('POST', '/v1/profiles', { body: 'hello', contentType: 'text/plain' });
    assert.deepEqual([text.status, text.json.code], [415, 'UnsupportedMediaType']);
    const tag = await f.call('POST', '/v1/profiles', { body: 'name: !!js/function "x"\n' });
    assert.deepEqual([tag.status, tag.json.code], [400, 'InvalidYaml']);
    for (const answer of [badJson, unknown, huge, text, tag]) {
      assert.deepEqual(Object.keys(answer.json).sort(), ['code', 'details', 'message']);
    }
  });
});
