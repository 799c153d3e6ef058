import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStrataError } from '../../src/core/errors.ts';
import {
  diffValues,
  formatPath,
  hideCredentialValues,
  isCredentialPath,
  parsePath,
  parseValues,
  pathStartsWith,
  valuesEqual,
  valuesToObject,
} from '../../src/core/values.ts';

/** Asserts `fn` throws a StrataError with `code` whose message matches `message`; returns its details. */
function throwsStrata(fn: () => unknown, code: string, message: RegExp): Record<string, unknown> {
  try {
    fn();
  } catch (error) {
    assert.ok(isStrataError(error), `expected a StrataError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return error.details;
  }
  assert.fail(`expected ${code}`);
}

describe('parseValues', () => {
  it('keeps comments and reads plain YAML 1.2 (yes stays a string)', () => {
    const doc = parseValues('# header\nreplicas: 2 # pods\nenabled: yes\n', 'values');
    assert.deepEqual(doc.toJS(), { replicas: 2, enabled: 'yes' });
    assert.match(doc.toString(), /# pods/);
  });

  it('reads an empty or comment-only text as an empty mapping', () => {
    assert.deepEqual(parseValues('', 'values').toJS(), {});
    assert.deepEqual(parseValues('# nothing yet\n', 'values').toJS(), {});
    assert.deepEqual(valuesToObject('   \n', 'values'), {});
  });

  it('names the field, line and column of a syntax error', () => {
    const details = throwsStrata(
      () => parseValues('a: 1\nb: [1, 2\nc: 3\n', 'layers[2].values'),
      'InvalidYaml',
      /^layers\[2\]\.values: .* at line \d+, column \d+$/,
    );
    assert.equal(details.field, 'layers[2].values');
    assert.equal(typeof details.line, 'number');
    assert.equal(typeof details.column, 'number');
  });

  it('refuses duplicate keys, pointing at the second one', () => {
    const details = throwsStrata(
      () => parseValues('a: 1\nb: 2\na: 3\n', 'values'),
      'InvalidYaml',
      /values: map keys must be unique at line 3, column 1/,
    );
    assert.deepEqual({ line: details.line, column: details.column }, { line: 3, column: 1 });
  });

  it('refuses custom and language tags', () => {
    throwsStrata(
      () => parseValues('run: !!js/function "function () { return 1 }"\n', 'values'),
      'InvalidYaml',
      /unsupported tag .*js\/function.*line 1, column 6/,
    );
    throwsStrata(
      () => parseValues('a:\n  b: !custom x\n', 'values'),
      'InvalidYaml',
      /unsupported tag !custom .* line 2/,
    );
    throwsStrata(() => parseValues('blob: !!binary aGVsbG8=\n', 'values'), 'InvalidYaml', /unsupported tag/);
  });

  it('refuses a YAML bomb (billion laughs) instead of expanding it', () => {
    const bomb = [
      'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
      'f: [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
      '',
    ].join('\n');
    const started = performance.now();
    throwsStrata(() => parseValues(bomb, 'values'), 'InvalidYaml', /refused as a YAML bomb at line 2/);
    assert.ok(performance.now() - started < 1000, 'refused quickly');
  });

  it('accepts a few ordinary aliases', () => {
    assert.deepEqual(valuesToObject('defaults: &d {cpu: 1}\napi: *d\n', 'values'), {
      defaults: { cpu: 1 },
      api: { cpu: 1 },
    });
  });

  it('requires a mapping at the top level', () => {
    throwsStrata(
      () => parseValues('- a\n- b\n', 'values'),
      'InvalidYaml',
      /top level must be a mapping .* not a list/,
    );
    throwsStrata(() => parseValues('just text\n', 'values'), 'InvalidYaml', /not a single value/);
  });

  it('refuses map keys that are collections', () => {
    throwsStrata(
      () => parseValues('? [a, b]\n: 1\n', 'values'),
      'InvalidYaml',
      /map keys must be plain values/,
    );
  });

  it('refuses several documents in one text', () => {
    throwsStrata(() => parseValues('a: 1\n---\nb: 2\n', 'values'), 'InvalidYaml', /multiple documents/);
  });
});

describe('valuesToObject', () => {
  it('returns a copy the caller may change without affecting later reads', () => {
    const text = 'app:\n  replicas: 1\n';
    const first = valuesToObject(text, 'v') as { app: { replicas: number } };
    first.app.replicas = 9;
    assert.deepEqual(valuesToObject(text, 'v'), { app: { replicas: 1 } });
  });
});

describe('value paths', () => {
  it('formats and parses dotted paths, quoted keys and list indexes', () => {
    assert.equal(formatPath(['kubelet', 'extraArgs', 'max-pods']), 'kubelet.extraArgs.max-pods');
    assert.equal(formatPath(['annotations', 'example.com/team']), 'annotations["example.com/team"]');
    assert.equal(formatPath(['a', 'b', 0, 'c']), 'a.b[0].c');
    assert.equal(formatPath(['x.y']), '["x.y"]');
    assert.equal(formatPath([]), '');
    assert.deepEqual(parsePath('a.b[0].c'), ['a', 'b', 0, 'c']);
    assert.deepEqual(parsePath('annotations["example.com/team"]'), ['annotations', 'example.com/team']);
    assert.deepEqual(parsePath(''), []);
  });

  it('round-trips awkward keys exactly', () => {
    const paths = [
      ['a', 'x.y', 0, 'c'],
      ['with space', 'quote"d', 'br[ack]et', ''],
      ['0', 12, 'tab\tkey', 'ünïcode', "it's"],
      [3],
    ];
    for (const path of paths) assert.deepEqual(parsePath(formatPath(path)), path);
  });

  it('refuses malformed paths with the column', () => {
    throwsStrata(() => parsePath('a..b'), 'ValidationFailed', /column 3/);
    throwsStrata(() => parsePath('.a'), 'ValidationFailed', /cannot start with a dot/);
    throwsStrata(() => parsePath('a[x]'), 'ValidationFailed', /list index or a "quoted key"/);
    throwsStrata(() => parsePath('a["x"'), 'ValidationFailed', /not closed/);
    throwsStrata(() => parsePath('a[0]b'), 'ValidationFailed', /separated by dots/);
  });

  it('matches node-impact prefixes on segment boundaries only', () => {
    assert.ok(pathStartsWith('kubeadmconfig.kubeletExtraArgs.max-pods', 'kubeadmconfig.kubeletExtraArgs'));
    assert.ok(pathStartsWith('kubeadmconfig.kubeletExtraArgs', 'kubeadmconfig.kubeletExtraArgs'));
    assert.ok(pathStartsWith('a.b[0]', 'a.b'));
    assert.ok(pathStartsWith('a["x.y"].z', 'a["x.y"]'));
    assert.ok(!pathStartsWith('a.bc', 'a.b'));
    assert.ok(!pathStartsWith('a', 'a.b'));
    assert.ok(pathStartsWith('anything.at.all', ''));
  });
});

describe('diffValues', () => {
  const before = [
    '# Kubernetes values',
    'kubelet:',
    '  extraArgs:',
    '    max-pods: "110"',
    '  featureGates: [A, B]',
    'apiServer:',
    '  audit: true',
    'removed:',
    '  deep:',
    '    x: 1',
    '    y: 2',
    '',
  ].join('\n');

  it('lists leaf changes sorted by path', () => {
    const after = [
      'kubelet:',
      '  extraArgs:',
      '    max-pods: "200"',
      '    node-labels: role=worker',
      '  featureGates: [A, B, C]',
      'apiServer:',
      '  audit: true',
      '',
    ].join('\n');
    assert.deepEqual(diffValues(before, after), [
      { path: 'kubelet.extraArgs.max-pods', kind: 'changed', from: '110', to: '200' },
      { path: 'kubelet.extraArgs.node-labels', kind: 'added', to: 'role=worker' },
      // A list is one leaf: the whole list is the change.
      { path: 'kubelet.featureGates', kind: 'changed', from: ['A', 'B'], to: ['A', 'B', 'C'] },
      { path: 'removed.deep.x', kind: 'removed', from: 1 },
      { path: 'removed.deep.y', kind: 'removed', from: 2 },
    ]);
  });

  it('sees no change in comments, key order or formatting', () => {
    const reformatted = [
      'removed: {deep: {y: 2, x: 1}}',
      'apiServer: {audit: true}   # audit on',
      'kubelet:',
      '  featureGates:',
      '    - A',
      '    - B',
      '  extraArgs: {"max-pods": \'110\'}',
      '',
    ].join('\n');
    assert.deepEqual(diffValues(before, reformatted), []);
    assert.ok(valuesEqual(before, reformatted));
  });

  it('reports a type change (map to value) at the key, and quoted keys in paths', () => {
    assert.deepEqual(diffValues('a:\n  b: 1\n', 'a: off\n'), [
      { path: 'a', kind: 'changed', from: { b: 1 }, to: 'off' },
    ]);
    assert.deepEqual(diffValues('labels: {}\n', 'labels:\n  example.com/team: core\n'), [
      { path: 'labels["example.com/team"]', kind: 'added', to: 'core' },
    ]);
  });

  it('treats an empty text as an empty mapping', () => {
    assert.deepEqual(diffValues('', 'a: 1\n'), [{ path: 'a', kind: 'added', to: 1 }]);
    assert.deepEqual(diffValues('# only a comment\n', ''), []);
  });
});

describe('valuesEqual', () => {
  it('tells different data apart, including list order and value types', () => {
    assert.ok(!valuesEqual('a: [1, 2]\n', 'a: [2, 1]\n'));
    assert.ok(!valuesEqual('a: "1"\n', 'a: 1\n'));
    assert.ok(!valuesEqual('a: 1\n', 'a: 1\nb: null\n'));
    assert.ok(valuesEqual('a: .nan\n', 'a: .NaN\n'));
  });
});

describe('isCredentialPath', () => {
  it('knows credential keys by the last key of the path, whatever their case or separators', () => {
    for (const path of [
      'helloUniverse.db.password',
      'db.PASSWORD',
      'auth.clientSecret',
      'registry.token',
      'registry.pull-tokens',
      'tls.private_key',
      'api.apiKey',
      'cloud.credentials',
    ])
      assert.equal(isCredentialPath(path), true, path);
  });
  it('leaves other keys alone, including ones that only mention a credential before the end', () => {
    for (const path of [
      'helloUniverse.ui.replicas',
      'auth.tokenTtl',
      'passwordPolicy.minLength',
      'keys',
      'db.host',
    ])
      assert.equal(isCredentialPath(path), false, path);
  });
});

describe('hideCredentialValues', () => {
  it('hides the values of credential keys at any depth, keeping comments, layout and every other value', () => {
    const text = [
      '# Database settings.',
      'db:',
      '  # The password; override it per cluster.',
      '  password: s3cret # rotate yearly',
      '  port: 5432',
      'authToken: abc-123',
      'tokenTtl: 5m',
      'credentials:',
      '  user: app',
      '  key: xyz',
      '',
    ].join('\n');
    assert.equal(
      hideCredentialValues(text),
      [
        '# Database settings.',
        'db:',
        '  # The password; override it per cluster.',
        '  password: (hidden) # rotate yearly',
        '  port: 5432',
        'authToken: (hidden)',
        'tokenTtl: 5m',
        'credentials: (hidden)',
        '',
      ].join('\n'),
    );
  });

  it('returns text without credentials, and text that does not parse, unchanged', () => {
    const plain = 'ui:\n  replicas: 2 # two\n';
    assert.equal(hideCredentialValues(plain), plain);
    const broken = 'password: [unclosed\n';
    assert.equal(hideCredentialValues(broken), broken);
  });
});
