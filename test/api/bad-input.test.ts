/**
 * Hostile and malformed requests, generated from a seed (set STRATA_FUZZ_SEED to replay a run): broken JSON and
 * YAML, wrong types, bad semver and names, huge bodies, YAML bombs and custom tags, unknown packs, path tricks,
 * NUL bytes, missing and forged tokens. Every one must be answered 4xx with an error code whose status matches,
 * never 5xx, and the store must hold exactly what it held before.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { httpStatusFor } from '../../src/api/http-status.ts';
import { openStore, type Store } from '../../src/store/open.ts';
import { type ApiFixture, profileYaml, startApiFixture } from './fixture.ts';

const SEED = Number(process.env.STRATA_FUZZ_SEED ?? 20_261_125);

/** A small seeded PRNG (mulberry32): the same seed gives the same requests. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
  };
}

type Rng = ReturnType<typeof prng>;

interface BadRequest {
  label: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  body?: string;
  contentType?: string;
  /** Authorization header value; undefined means the admin token. */
  authorization?: string | null;
  headers?: Record<string, string>;
}

const BAD_SEMVER = [
  'v1.2.0',
  '1.2',
  '2.2.2.develop',
  '',
  '01.0.0',
  '1.0.0.0',
  ' 1.0.0',
  '1.0.0 ',
  'latest',
  '1.x',
  '1..0',
  '-1.0.0',
  '1.0.0-',
  '٣.1.0',
];
const BAD_NAMES = [
  'UPPER',
  'under_score',
  'a'.repeat(64),
  '-lead',
  'trail-',
  'dot.ted',
  'sp ace',
  'ünï',
  '',
  '..',
  'a/b',
  'a\u0000b',
  '<script>',
];
const PATH_TRICKS = [
  '..',
  '%2e%2e',
  '%2E%2E%2F',
  '..%2f..%2fetc%2fpasswd',
  '%00',
  'a%00b',
  '%252e%252e',
  '.%2e',
  '%c0%ae%c0%ae',
  'a%2Fb',
  '%ff',
  '%',
  '%zz',
  `${'x'.repeat(300)}`,
  '~root',
  '%20',
  "'or'1'='1",
];
const CUSTOM_TAGS = [
  '!!js/function "f() {}"',
  '!custom x',
  '!!python/object:os.system ls',
  '!!binary aGVsbG8=',
  '!<tag:yaml.org,2002:js/undefined> ~',
  '!!set {a, b}',
  '!!timestamp 2001-12-14',
];

function yamlBomb(depth: number): string {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  let prev = 'a';
  for (let i = 0; i < depth; i++) {
    const name = `l${i}`;
    lines.push(
      `${name}: &${name} [*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev}]`,
    );
    prev = name;
  }
  return `${lines.join('\n')}\nname: x\n`;
}

function truncate(rng: Rng, text: string): string {
  return text.slice(0, 1 + rng.int(Math.max(1, text.length - 2)));
}

function garbage(rng: Rng, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += String.fromCharCode(rng.int(0x250));
  return s;
}

const validProfileJson = () => ({
  name: 'fuzz',
  version: '1.0.0',
  type: 'full',
  layers: [
    { pack: 'ubuntu', version: '22.4.5' },
    { pack: 'kubernetes', version: '1.30.10' },
    { pack: 'calico', version: '3.28.2' },
  ],
});

const WRONG_TYPES: unknown[] = [42, -1, 1.5, true, null, [], ['a'], {}, { a: 1 }, 'text', ''];

/** Returns a profile document with one field made wrong (type, semver, name, pack, preset, layer order). */
function brokenProfile(rng: Rng): { doc: Record<string, unknown>; label: string } {
  const doc = validProfileJson() as Record<string, unknown>;
  const layers = doc.layers as Array<Record<string, unknown>>;
  switch (rng.int(10)) {
    case 0: {
      const field = rng.pick(['name', 'version', 'type', 'cloudType', 'layers', 'description']);
      doc[field] = rng.pick(WRONG_TYPES.filter((v) => !(field === 'description' && typeof v === 'string')));
      return { doc, label: `wrong type for ${field}` };
    }
    case 1:
      doc.version = rng.pick(BAD_SEMVER);
      return { doc, label: `bad profile semver ${JSON.stringify(doc.version)}` };
    case 2:
      doc.name = rng.pick(BAD_NAMES);
      return { doc, label: `bad profile name ${JSON.stringify(doc.name)}` };
    case 3:
      layers[rng.int(3)]!.version = rng.pick(BAD_SEMVER);
      return { doc, label: 'bad layer semver' };
    case 4:
      layers[rng.int(3)]!.pack = `no-such-${rng.int(1000)}`;
      return { doc, label: 'unknown pack' };
    case 5:
      layers[rng.int(3)]!.version = `9.${rng.int(99)}.${rng.int(99)}`;
      return { doc, label: 'unknown pack version' };
    case 6:
      layers[2]!.presets = [`no-preset-${rng.int(100)}`];
      return { doc, label: 'unknown preset' };
    case 7:
      doc.layers = [...layers].reverse();
      return { doc, label: 'layers out of order' };
    case 8:
      {
        const wrong: Record<string, unknown[]> = {
          values: [42, true, [], ['a'], null],
          presets: [42, true, 'x', {}, null, [1]],
          pack: [42, true, null, [], {}, ''],
        };
        const field = rng.pick(Object.keys(wrong));
        layers[rng.int(3)]![field] = rng.pick(wrong[field]!);
      }
      return { doc, label: 'wrong layer field type' };
    default:
      layers[1]!.values = `${rng.pick(CUSTOM_TAGS)}\n`;
      return { doc, label: 'values with a custom tag' };
  }
}

/** Returns an always-invalid pack registration body. */
function brokenPack(rng: Rng): { body: Record<string, unknown>; label: string } {
  const manifest = (over: Record<string, string>) => {
    const fields = { name: 'fuzz-pack', version: '1.0.0', layer: 'addon', displayName: 'Fuzz', ...over };
    return Object.entries(fields)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n');
  };
  switch (rng.int(7)) {
    case 0:
      return {
        body: { manifest: manifest({ version: JSON.stringify(rng.pick(BAD_SEMVER)) }) },
        label: 'pack bad semver',
      };
    case 1:
      return {
        body: { manifest: manifest({ layer: rng.pick(['network', 'OS', '', 'kernel']) || '""' }) },
        label: 'pack bad layer',
      };
    case 2:
      return {
        body: { manifest: manifest({ name: JSON.stringify(rng.pick(BAD_NAMES)) }) },
        label: 'pack bad name',
      };
    case 3:
      return {
        body: { manifest: truncate(rng, '{name: "x", version: "1.0.0", layer: [addon') },
        label: 'pack broken yaml',
      };
    case 4:
      return {
        body: {
          manifest: manifest({}),
          templates: {
            'a.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ values.${'x'.repeat(rng.int(5) + 1)} `,
          },
        },
        label: 'pack template syntax error',
      };
    case 5:
      return {
        body: { manifest: manifest({}), values: `${rng.pick(CUSTOM_TAGS)}\n` },
        label: 'pack values custom tag',
      };
    default:
      return { body: { manifest: manifest({ layer: 'k8s' }) }, label: 'k8s pack without distribution' };
  }
}

function generate(rng: Rng, count: number): BadRequest[] {
  const out: BadRequest[] = [];
  const profileUrl = '/v1/profiles/edit-target/versions/1.0.0';
  const generators: Array<() => BadRequest> = [
    () => ({
      label: 'truncated JSON',
      method: rng.pick(['POST', 'PUT'] as const),
      url: rng.pick(['/v1/profiles', profileUrl]),
      body: truncate(rng, JSON.stringify(validProfileJson())),
      contentType: 'application/json',
    }),
    () => ({
      label: 'garbage JSON',
      method: 'POST',
      url: rng.pick(['/v1/profiles', '/v1/packs', '/v1/tokens', '/v1/clusters', '/v1/clusters/x/plan']),
      body: garbage(rng, 1 + rng.int(200)),
      contentType: 'application/json',
    }),
    () => ({
      label: 'truncated YAML',
      method: 'POST',
      url: '/v1/profiles',
      body: `${truncate(rng, profileYaml('fuzz', '1.0.0'))}${rng.pick(['\n  - [', '\n\t- x', ': : :', '\n"unclosed', '\n- a\nb: c'])}`,
      contentType: rng.pick(['application/yaml', 'text/yaml', 'application/x-yaml']),
    }),
    () => ({
      label: 'custom YAML tag',
      method: 'POST',
      url: rng.pick(['/v1/profiles', '/v1/tokens', '/v1/packs']),
      body: `name: ${rng.pick(CUSTOM_TAGS)}\nversion: 1.0.0\n`,
      contentType: 'application/yaml',
    }),
    () => ({
      label: 'YAML bomb',
      method: 'POST',
      url: rng.pick(['/v1/profiles', '/v1/packs', '/v1/clusters']),
      body: yamlBomb(3 + rng.int(6)),
      contentType: 'application/yaml',
    }),
    () => ({
      label: 'YAML not a mapping / duplicate keys / control characters',
      method: 'POST',
      url: '/v1/profiles',
      body: rng.pick([
        '- a\n- b\n',
        'just text',
        '42',
        'name: a\nname: b\n',
        'name: "a\u0007"\n',
        'name: a\u0000\n',
        '---\nname: a\n---\nname: b\n',
      ]),
      contentType: 'application/yaml',
    }),
    () => {
      const { doc, label } = brokenProfile(rng);
      const asYaml = rng.int(2) === 0;
      const put = rng.int(3) === 0;
      return {
        label: `profile: ${label}`,
        method: put ? 'PUT' : 'POST',
        url: put ? profileUrl : '/v1/profiles',
        body: JSON.stringify(
          put ? { ...doc, name: doc.name === 'fuzz' ? 'edit-target' : doc.name, resourceVersion: 1 } : doc,
        ),
        contentType: asYaml ? 'application/yaml' : 'application/json',
      };
    },
    () => {
      const { body, label } = brokenPack(rng);
      return {
        label,
        method: 'POST',
        url: '/v1/packs',
        body: JSON.stringify(body),
        contentType: 'application/json',
      };
    },
    () => {
      const trick = rng.pick(PATH_TRICKS);
      const url = rng.pick([
        `/v1/profiles/${trick}`,
        `/v1/profiles/${trick}/versions/1.0.0`,
        `/v1/profiles/edit-target/versions/${trick}`,
        `/v1/packs/${trick}`,
        `/v1/packs/calico/versions/${trick}`,
        `/v1/clusters/${trick}`,
        `/v1/clusters/${trick}/kubeconfig`,
        `/v1/tokens/${trick}`,
        `/v1/${trick}/packs`,
      ]);
      return {
        label: `path trick ${JSON.stringify(trick)}`,
        method: rng.pick(['GET', 'PUT', 'POST', 'DELETE'] as const),
        url,
        body: '{}',
        contentType: 'application/json',
      };
    },
    () => ({
      label: 'missing or forged token',
      method: rng.pick(['GET', 'POST', 'DELETE'] as const),
      url: rng.pick([
        '/v1/packs',
        '/v1/profiles',
        '/v1/tokens',
        '/v1/audit',
        '/v1/clusters',
        '/v1/tokens/admin',
        '/v1/events/stream',
      ]),
      body: '{}',
      contentType: 'application/json',
      authorization: rng.pick([
        null,
        '',
        'Bearer',
        'Bearer ',
        `Bearer strata_${garbage(rng, 10).replace(/[^\x21-\x7e]/g, 'x')}`,
        'Basic YWRtaW46YWRtaW4=',
        `Bearer ${'A'.repeat(2000)}`,
        'bearer ../../admin.token',
        'Bearer null',
        'Token abc',
      ]),
    }),
    () => ({
      label: 'bad query',
      method: 'GET',
      url: rng.pick([
        `/v1/clusters?limit=${rng.pick(['-1', '0', 'abc', '1e9', '1001', ''])}`,
        '/v1/clusters?limit=1&limit=2',
        `/v1/clusters?phase=${rng.pick(['running', 'X', ''])}`,
        `/v1/clusters?profile=${rng.pick(['x', '@1.0.0', 'a@', 'A@1.0.0'])}`,
        `/v1/clusters?cursor=${'c'.repeat(500)}`,
        `/v1/profiles/edit-target/versions/1.0.0?revision=${rng.pick(['0', '-3', 'x', '1.5'])}`,
        `/v1/profiles/edit-target/versions/1.0.0/revisions?from=${rng.pick(['0', 'x', '-1'])}`,
        `/v1/profiles/edit-target/versions/1.0.0/revisions?from=1&to=${rng.pick(['99', '0'])}`,
        `/v1/audit?format=${rng.pick(['xml', 'CSV', ''])}`,
        `/v1/audit?since=${rng.pick(['yesterday', '2020-13-45', '1'])}`,
        `/v1/audit?cursor=${rng.pick(['-5', 'abc', '0'])}`,
        `/v1/packs?layer=${rng.pick(['network', 'OS', ''])}`,
        `/v1/clusters/none/kubeconfig?role=${rng.pick(['root', 'ADMIN'])}`,
        '/v1/clusters/none/events?afterId=-1',
      ]),
    }),
    () => ({
      label: 'edit without a usable resourceVersion',
      method: 'PUT',
      url: profileUrl,
      body: JSON.stringify({
        ...validProfileJson(),
        name: 'edit-target',
        ...(rng.int(2) ? { resourceVersion: rng.pick([0, -1, 'one', 1.5, null]) } : {}),
      }),
      contentType: 'application/json',
      headers: rng.int(2)
        ? { 'if-match': rng.pick(['*', 'abc', '"x"', 'W/"', '"99999999999999999999"']) }
        : {},
    }),
    () => ({
      label: 'stale resourceVersion',
      method: 'PUT',
      url: profileUrl,
      body: JSON.stringify({ ...validProfileJson(), name: 'edit-target', resourceVersion: 2 + rng.int(50) }),
      contentType: 'application/json',
    }),
    () => ({
      label: 'bad token creation',
      method: 'POST',
      url: '/v1/tokens',
      body: JSON.stringify({ name: rng.pick(BAD_NAMES), role: rng.pick(['viewer', 'root', 'ADMIN', '', 3]) }),
      contentType: 'application/json',
    }),
    () => {
      // Each route with bodies that are wrong for it (an object without the route's fields is valid for prune).
      const [url, bodies] = rng.pick<[string, unknown[]]>([
        [
          '/v1/clusters',
          [
            { name: rng.pick(BAD_NAMES), profiles: ['a@1.0.0'] },
            { name: 'ok', profiles: [rng.pick(['a', 'a@v1', '@1.0.0', 'A@1.0.0'])] },
            { name: 'ok', profiles: ['a@1.0.0'], controlPlane: rng.pick([0, 2, 4, '1']) },
            { name: 'ok', profiles: ['a@1.0.0'], workers: rng.pick([-1, 1.5, 'two', 100_000]) },
            { name: 'ok', profiles: 'a@1.0.0' },
            { kind: 'profiles' },
          ],
        ],
        [
          rng.pick(['/v1/clusters/x/plan', '/v1/clusters/x/update']),
          [
            { kind: rng.pick(['switch', '', 1]) },
            { kind: 'profiles', profiles: [] },
            { kind: 'override', pack: rng.pick(BAD_NAMES), values: 'a: 1' },
            { kind: 'pools', pools: [{ name: 'p' }] },
            { name: 'x' },
          ],
        ],
        [
          '/v1/clusters/x/overrides',
          [{ pack: 'calico', values: 7 }, { pack: rng.pick(BAD_NAMES), values: null }, { values: 'a: 1' }],
        ],
        [
          '/v1/clusters/x/prune',
          [{ dryRun: 'yes' }, { force: 1 }, { objects: 'all' }, { objects: [{ kind: 1 }] }],
        ],
        ['/v1/clusters/x/repave', [{ action: rng.pick(['reject', 'APPROVE', '']) }, {}]],
      ]);
      return {
        label: 'bad cluster body',
        method: 'POST',
        url,
        body: JSON.stringify(rng.pick([...bodies, [], 'x', null])),
        contentType: 'application/json',
      };
    },
    () => ({
      label: 'copy to a bad version',
      method: 'POST',
      url: '/v1/profiles/edit-target/versions/1.0.0/copy',
      body: JSON.stringify({ version: rng.pick([...BAD_SEMVER, 1, null]) }),
      contentType: 'application/json',
    }),
    () => ({
      label: 'unsupported content type',
      method: 'POST',
      url: rng.pick(['/v1/profiles', '/v1/tokens', '/v1/packs']),
      body: 'name=x&version=1.0.0',
      contentType: rng.pick([
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/xml',
        'image/png',
      ]),
    }),
    () => ({
      label: 'prototype pollution',
      method: 'POST',
      url: rng.pick(['/v1/profiles', '/v1/tokens']),
      body: rng.pick([
        '{"__proto__": {"admin": true}, "name": 1}',
        '{"constructor": {"prototype": {"x": 1}}, "name": "A"}',
      ]),
      contentType: 'application/json',
    }),
  ];
  for (let i = 0; i < count; i++) out.push(rng.pick(generators)());
  return out;
}

/** The few huge bodies: just over the limit, in JSON and YAML. */
function hugeRequests(): BadRequest[] {
  const big = 'x'.repeat(1024 * 1024 + 10);
  return [
    {
      label: 'huge JSON',
      method: 'POST',
      url: '/v1/profiles',
      body: JSON.stringify({ name: big }),
      contentType: 'application/json',
    },
    {
      label: 'huge YAML',
      method: 'POST',
      url: '/v1/profiles',
      body: `name: ${big}\n`,
      contentType: 'application/yaml',
    },
    {
      label: 'huge pack',
      method: 'POST',
      url: '/v1/packs',
      body: JSON.stringify({ manifest: big }),
      contentType: 'application/json',
    },
    {
      label: 'huge edit',
      method: 'PUT',
      url: '/v1/profiles/edit-target/versions/1.0.0',
      body: `description: ${big}\n`,
      contentType: 'text/yaml',
    },
    {
      label: 'field over its limit',
      method: 'POST',
      url: '/v1/profiles',
      body: JSON.stringify({ ...validProfileJson(), description: 'd'.repeat(3000) }),
      contentType: 'application/json',
    },
  ];
}

async function counts(store: Store): Promise<Record<string, number>> {
  const tables = [
    'profile_versions',
    'profile_revisions',
    'packs',
    'api_tokens',
    'audit_log',
    'clusters',
  ] as const;
  const result: Record<string, number> = {};
  for (const table of tables) {
    const row = await store.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    result[table] = Number(row.n);
  }
  return result;
}

describe('bad input', () => {
  let store: Store;
  let f: ApiFixture;
  before(async () => {
    store = await openStore({ memory: true });
    f = await startApiFixture(store, null);
    const made = await f.call('POST', '/v1/profiles', { body: profileYaml('edit-target', '1.0.0') });
    assert.equal(made.status, 201, made.text);
  });
  after(async () => {
    await f.close();
    await store.close();
  });

  it(`answers 1,200 generated hostile requests 4xx with a code and leaves the store unchanged (seed ${SEED})`, async () => {
    const requests = [...generate(prng(SEED), 1200), ...hugeRequests()];
    const before = await counts(store);
    const catalogSize = f.catalog.list().length;
    const failures: string[] = [];
    const byStatus = new Map<number, number>();
    for (const [index, req] of requests.entries()) {
      const headers: Record<string, string> = { ...req.headers };
      if (req.authorization === undefined) headers.authorization = `Bearer ${f.tokens.admin}`;
      else if (req.authorization !== null) headers.authorization = req.authorization;
      if (req.contentType !== undefined) headers['content-type'] = req.contentType;
      const response = await f.app.inject({ method: req.method, url: req.url, headers, payload: req.body });
      byStatus.set(response.statusCode, (byStatus.get(response.statusCode) ?? 0) + 1);
      let code: unknown;
      try {
        code = (JSON.parse(response.body) as { code?: unknown }).code;
      } catch {
        code = undefined;
      }
      const ok =
        response.statusCode >= 400 &&
        response.statusCode < 500 &&
        typeof code === 'string' &&
        httpStatusFor(code) === response.statusCode;
      if (!ok && failures.length < 10) {
        failures.push(
          `#${index} ${req.label}: ${req.method} ${req.url.slice(0, 80)} → ${response.statusCode} ${response.body.slice(0, 200)}`,
        );
      }
    }
    assert.deepEqual(failures, [], `seed ${SEED}; replay with STRATA_FUZZ_SEED=${SEED}`);
    assert.deepEqual(await counts(store), before);
    assert.equal(f.catalog.list().length, catalogSize);
    // The suite exercises every family of answer, not one path over and over.
    for (const status of [400, 401, 404, 409, 413, 422])
      assert.ok((byStatus.get(status) ?? 0) > 0, `no ${status} answers`);
  });
});
