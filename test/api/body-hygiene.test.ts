/**
 * Bodies a parser or the store would choke on are refused at the door, each with a 400 (415 for a charset that
 * is not UTF-8) and a code of its own, and nothing reaches the store: a byte order mark, invalid UTF-8, tens of
 * thousands of keys, nesting past 100 levels, NUL characters (PostgreSQL cannot store them: a 500 before),
 * lone surrogates, and YAML alias bombs in any YAML field.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { type ApiFixture, forEachApiDriver, profileYaml } from './fixture.ts';
import { RecordingEngine } from './recording-engine.ts';

const profile = (extra: Record<string, unknown> = {}) => ({
  name: 'hygiene',
  version: '1.0.0',
  type: 'full',
  layers: [
    { pack: 'ubuntu', version: '22.4.5' },
    { pack: 'kubernetes', version: '1.30.10' },
    { pack: 'calico', version: '3.28.2' },
  ],
  ...extra,
});

/** A YAML billion-laughs document: each level refers to the one below nine times. */
function aliasBomb(): string {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 0; i < 9; i++) {
    const prev = i === 0 ? 'a' : `l${i - 1}`;
    lines.push(`l${i}: &l${i} [${Array(9).fill(`*${prev}`).join(',')}]`);
  }
  return `${lines.join('\n')}\n`;
}

async function send(
  f: ApiFixture,
  url: string,
  payload: string | Buffer,
  contentType = 'application/json',
): Promise<{ status: number; json: { code?: string; message?: string; details?: Record<string, unknown> } }> {
  const response = await f.app.inject({
    method: 'POST',
    url,
    headers: { authorization: `Bearer ${f.tokens.admin}`, 'content-type': contentType },
    payload,
  });
  return { status: response.statusCode, json: JSON.parse(response.body) };
}

async function storedProfiles(f: ApiFixture): Promise<number> {
  const list = await f.call('GET', '/v1/profiles');
  return (list.json.items as unknown[]).length;
}

forEachApiDriver(
  (getFixture) => {
    it('refuses a byte order mark, invalid UTF-8 and charsets other than UTF-8', async (t) => {
      const f = getFixture(t);
      if (!f) return;
      const json = JSON.stringify(profile());
      const bom = await send(
        f,
        '/v1/profiles',
        Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)]),
      );
      assert.equal(bom.status, 400);
      assert.equal(bom.json.code, 'InvalidEncoding');
      assert.equal(bom.json.details?.reason, 'ByteOrderMark');
      const yamlBom = await send(
        f,
        '/v1/profiles',
        `\ufeff${profileYaml('bom', '1.0.0')}`,
        'application/yaml',
      );
      assert.equal(yamlBom.json.details?.reason, 'ByteOrderMark');
      // "café" in Latin-1: the é is the lone byte 0xE9.
      const latin1 = Buffer.from(JSON.stringify(profile({ description: 'caf#' })));
      latin1[latin1.indexOf('#')] = 0xe9;
      const invalid = await send(f, '/v1/profiles', latin1);
      assert.equal(invalid.status, 400);
      assert.equal(invalid.json.code, 'InvalidEncoding');
      assert.equal(invalid.json.details?.reason, 'InvalidUtf8');
      for (const type of [
        'application/json; charset=utf-16',
        'application/json; charset=latin1',
        'application/yaml; charset=UTF-16LE',
      ]) {
        const answer = await send(f, '/v1/profiles', json, type);
        assert.equal(answer.status, 415, type);
        assert.equal(answer.json.code, 'UnsupportedMediaType');
      }
      const other = await send(f, '/v1/profiles', 'name=x', 'text/plain');
      assert.equal(other.status, 415);
      const utf8 = await send(
        f,
        '/v1/profiles',
        JSON.stringify(profile({ description: 'café' })),
        'application/json; charset=UTF-8',
      );
      assert.equal(utf8.status, 201, JSON.stringify(utf8.json));
    });

    it('refuses 50,000 keys and nesting deeper than 100 levels, in JSON and in YAML', async (t) => {
      const f = getFixture(t);
      if (!f) return;
      const before = await storedProfiles(f);
      const many = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i]));
      const wide = await send(
        f,
        '/v1/profiles',
        JSON.stringify(profile({ layers: [{ pack: 'ubuntu', version: '22.4.5', values: many }] })),
      );
      assert.equal(wide.status, 400, JSON.stringify(wide.json));
      assert.equal(wide.json.code, 'BodyTooComplex');
      assert.equal(wide.json.details?.reason, 'TooManyNodes');
      for (const depth of [101, 100_000]) {
        const deep = await send(
          f,
          '/v1/tokens',
          `{"name":"deep","role":"viewer","x":${'['.repeat(depth)}${']'.repeat(depth)}}`,
        );
        assert.equal(deep.status, 400, `${depth}: ${JSON.stringify(deep.json)}`);
        assert.equal(deep.json.code, 'BodyTooComplex');
        assert.equal(deep.json.details?.reason, 'TooDeep');
      }
      // Brackets inside strings do not count.
      const quotedBrackets = await send(
        f,
        '/v1/profiles',
        JSON.stringify(profile({ name: 'brackets', description: '['.repeat(500) })),
      );
      assert.equal(quotedBrackets.status, 201, JSON.stringify(quotedBrackets.json));
      const yamlDeep = await send(
        f,
        '/v1/profiles',
        `${profileYaml('deep', '1.0.0')}x: ${'['.repeat(150)}${']'.repeat(150)}\n`,
        'application/yaml',
      );
      assert.equal(yamlDeep.status, 400);
      assert.equal(yamlDeep.json.code, 'BodyTooComplex');
      assert.equal(await storedProfiles(f), before + 1);
    });

    it('refuses NUL characters and lone surrogates in any string or key before the store sees them', async (t) => {
      const f = getFixture(t);
      if (!f) return;
      const before = await storedProfiles(f);
      const cases: Array<[string, string, string]> = [
        [JSON.stringify(profile({ description: 'a\u0000b' })), 'NulCharacter', 'body.description'],
        [JSON.stringify(profile({ description: 'half \ud800 a pair' })), 'LoneSurrogate', 'body.description'],
        [
          JSON.stringify(profile({ description: 'the other half \udc00' })),
          'LoneSurrogate',
          'body.description',
        ],
        [
          JSON.stringify(
            profile({ layers: [{ pack: 'ubuntu', version: '22.4.5', values: { 'k\u0000': 1 } }] }),
          ),
          'NulCharacter',
          'body.layers.0.values.k\\u0000',
        ],
      ];
      for (const [payload, reason, field] of cases) {
        const answer = await send(f, '/v1/profiles', payload);
        assert.equal(answer.status, 400, `${reason}: ${JSON.stringify(answer.json)}`);
        assert.equal(answer.json.code, 'InvalidCharacter');
        assert.equal(answer.json.details?.reason, reason);
        assert.equal(answer.json.details?.field, field);
      }
      for (const url of ['/v1/audit?actor=%00', '/v1/audit?target=a%00', '/v1/clusters?cursor=%00']) {
        const query = await f.call('GET', url);
        assert.equal(query.status, 400, `${url}: ${query.text}`);
        assert.equal(query.json.code, 'InvalidCharacter');
      }
      const yaml = await send(
        f,
        '/v1/profiles',
        `${profileYaml('surrogate', '1.0.0')}description: "\\ud800"\n`,
        'application/yaml',
      );
      assert.equal(yaml.json.details?.reason, 'LoneSurrogate');
      // A well-formed pair (an emoji) is text.
      const emoji = await send(
        f,
        '/v1/profiles',
        JSON.stringify(profile({ name: 'emoji', description: '🚀' })),
      );
      assert.equal(emoji.status, 201, JSON.stringify(emoji.json));
      assert.equal(await storedProfiles(f), before + 1);
    });

    it('answers a YAML alias bomb 4xx in every YAML field, never 500', async (t) => {
      const f = getFixture(t);
      if (!f) return;
      const bomb = aliasBomb();
      const answers = [
        await send(f, '/v1/profiles', `${profileYaml('bomb', '1.0.0')}${bomb}`, 'application/yaml'),
        await send(
          f,
          '/v1/profiles',
          JSON.stringify(profile({ layers: [{ pack: 'ubuntu', version: '22.4.5', values: bomb }] })),
        ),
        await send(
          f,
          '/v1/clusters',
          JSON.stringify({ name: 'bomb', profiles: ['hygiene@1.0.0'], kubeconfig: bomb }),
        ),
        await send(f, '/v1/packs', JSON.stringify({ manifest: bomb })),
        await send(
          f,
          '/v1/packs',
          JSON.stringify({ manifest: 'name: bomb\nversion: 1.0.0\nlayer: addon\n', values: bomb }),
        ),
      ];
      for (const [i, answer] of answers.entries()) {
        assert.ok(
          answer.status === 400 || answer.status === 422,
          `#${i}: ${answer.status} ${JSON.stringify(answer.json)}`,
        );
        assert.match(String(answer.json.message), /YAML bomb|alias/i, `#${i}`);
      }
      assert.equal((f.engine as RecordingEngine).calls.length, 0);
    });
  },
  { engine: (store) => new RecordingEngine(store) },
);
