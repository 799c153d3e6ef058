import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStrataError } from '../../src/core/errors.ts';
import { valuesToObject } from '../../src/core/values.ts';
import { mergeValues3Way, resolveConflictMarkers } from '../../src/core/values-merge.ts';

const lines = (...rows: string[]): string => `${rows.join('\n')}\n`;

/** The profile layer the cluster was created from (1.0.0). */
const base = lines(
  '# Hello Universe values',
  '',
  '# How many pods run the app.',
  'replicas: 1',
  'image:',
  '  repository: ghcr.io/example/hello',
  '  tag: 1.0.0',
  'service:',
  '  type: ClusterIP # inside the cluster only',
  '  port: 8080',
  'ports: [8080]',
  'logLevel: info',
);

/** The new profile version (1.1.0): a new tag and key, a comment, a reordered key. */
const theirs = lines(
  '# Hello Universe values',
  '',
  '# How many pods run the app.',
  'replicas: 1',
  'logLevel: info',
  'image:',
  '  repository: ghcr.io/example/hello',
  '  # Pinned by the platform team.',
  '  tag: 1.1.0',
  'service:',
  '  type: ClusterIP # inside the cluster only',
  '  port: 8080',
  'ports: [8080]',
  'metrics:',
  '  enabled: true',
);

function throwsInvalidYaml(fn: () => unknown, field: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(isStrataError(error));
    assert.equal(error.code, 'InvalidYaml');
    assert.equal(error.details.field, field);
    assert.match(error.message, new RegExp(`^${field}: `));
    return true;
  });
}

describe('mergeValues3Way', () => {
  it("keeps the cluster's overrides, theirs' comments and key order, and our comment on an overridden key", () => {
    const ours = base.replace('replicas: 1', 'replicas: 3 # peak traffic needs three');
    const result = mergeValues3Way({ base, ours, theirs });
    assert.equal(result.clean, true);
    assert.deepEqual(result.conflicts, []);
    assert.equal(result.text, theirs.replace('replicas: 1', 'replicas: 3 # peak traffic needs three'));
  });

  it('returns exactly the new version when the cluster has no changes of its own', () => {
    const ours = base.replace('# How many pods run the app.', '# a comment only the cluster has');
    for (const same of [base, ours]) {
      const result = mergeValues3Way({ base, ours: same, theirs });
      assert.equal(result.text, theirs);
      assert.equal(result.clean, true);
    }
  });

  it("returns exactly the cluster's text when the new version changed nothing in this layer", () => {
    const ours = lines('# my copy', 'replicas: 4', 'image: {repository: ghcr.io/example/hello, tag: 1.0.0}');
    const reformattedBase = base.replace('# How many pods run the app.\n', '');
    const result = mergeValues3Way({ base, ours, theirs: reformattedBase });
    assert.equal(result.text, ours);
  });

  it('takes the new value where only the new version changed a key', () => {
    const ours = base.replace('replicas: 1', 'replicas: 2');
    const merged = valuesToObject(mergeValues3Way({ base, ours, theirs }).text, 'merged');
    assert.deepEqual(merged.image, { repository: 'ghcr.io/example/hello', tag: '1.1.0' });
    assert.deepEqual(merged.metrics, { enabled: true });
    assert.equal(merged.replicas, 2);
  });

  it('is no conflict when both sides changed a key to the same value', () => {
    const ours = base
      .replace('tag: 1.0.0', "tag: '1.1.0' # bumped early")
      .replace('replicas: 1', 'replicas: 2');
    const result = mergeValues3Way({ base, ours, theirs });
    assert.equal(result.clean, true);
    // Theirs' node (and comment) is kept for the shared change.
    assert.match(result.text, /# Pinned by the platform team\.\n {2}tag: 1\.1\.0\n/);
    assert.equal(valuesToObject(result.text, 'merged').replicas, 2);
  });

  it('reports a key both sides changed differently, keeps theirs in the text with a marker, and gives its line', () => {
    const ours = base.replace('tag: 1.0.0', 'tag: 1.0.1-hotfix');
    const result = mergeValues3Way({ base, ours, theirs });
    assert.equal(result.clean, false);
    assert.deepEqual(result.conflicts, [
      { path: 'image.tag', base: '1.0.0', ours: '1.0.1-hotfix', theirs: '1.1.0', line: 9 },
    ]);
    const textLines = result.text.split('\n');
    assert.equal(textLines[8], '  tag: 1.1.0 # strata: conflict — this cluster had 1.0.1-hotfix');
    assert.equal(valuesToObject(result.text, 'merged').image && true, true);
  });

  it('adds our conflict marker after an existing end-of-line comment, and above a block value', () => {
    const ours = base
      .replace('type: ClusterIP # inside', 'type: NodePort # inside')
      .replace('ports: [8080]', 'ports:\n  - 9090');
    const theirsChanged = theirs
      .replace('type: ClusterIP # inside', 'type: LoadBalancer # inside')
      .replace('ports: [8080]', 'ports:\n  - 8080\n  - 8443');
    const result = mergeValues3Way({ base, ours, theirs: theirsChanged });
    assert.deepEqual(
      result.conflicts.map((c) => c.path),
      ['service.type', 'ports'],
    );
    const textLines = result.text.split('\n');
    const typeLine = result.conflicts[0]!.line;
    assert.equal(
      textLines[typeLine - 1],
      '  type: LoadBalancer # inside the cluster only # strata: conflict — this cluster had NodePort',
    );
    const portsLine = result.conflicts[1]!.line;
    assert.equal(textLines[portsLine - 1], 'ports:');
    assert.equal(textLines[portsLine - 2], '# strata: conflict — this cluster had [9090]');
  });

  it('merges nested maps key by key', () => {
    const b = lines(
      'kubelet:',
      '  extraArgs:',
      '    max-pods: "110"',
      '    v: "2"',
      '  cgroupDriver: systemd',
    );
    const o = lines(
      'kubelet:',
      '  extraArgs:',
      '    max-pods: "250" # dense nodes',
      '    v: "2"',
      '  cgroupDriver: systemd',
    );
    const t = lines(
      'kubelet:',
      '  extraArgs:',
      '    max-pods: "110"',
      '    v: "4"',
      '  cgroupDriver: cgroupfs',
    );
    const result = mergeValues3Way({ base: b, ours: o, theirs: t });
    assert.equal(
      result.text,
      lines(
        'kubelet:',
        '  extraArgs:',
        '    max-pods: "250" # dense nodes',
        '    v: "4"',
        '  cgroupDriver: cgroupfs',
      ),
    );
  });

  it('places a key the cluster added after its preceding sibling, with its comment', () => {
    const ours = base.replace(
      '  tag: 1.0.0\n',
      '  tag: 1.0.0\n  # Always pull: tags are mutable here.\n  pullPolicy: Always\n',
    );
    const result = mergeValues3Way({ base, ours, theirs });
    assert.match(
      result.text,
      /tag: 1\.1\.0\n {2}# Always pull: tags are mutable here\.\n {2}pullPolicy: Always\nservice:/,
    );
  });

  it('puts a key the cluster added first in its map first, below the file header', () => {
    const ours = base.replace(
      '# How many pods run the app.\n',
      '# Which team owns it.\nowner: team-a\n\n# How many pods run the app.\n',
    );
    const result = mergeValues3Way({ base, ours, theirs });
    assert.ok(
      result.text.startsWith(
        '# Hello Universe values\n\n# Which team owns it.\nowner: team-a\n\n# How many pods run the app.\nreplicas: 1\n',
      ),
      result.text,
    );
  });

  it('keeps keys the new version added and removes keys the cluster removed', () => {
    const ours = base.replace('logLevel: info\n', '');
    const result = mergeValues3Way({ base, ours, theirs });
    const merged = valuesToObject(result.text, 'merged');
    assert.equal('logLevel' in merged, false);
    assert.deepEqual(merged.metrics, { enabled: true });
    assert.equal(result.clean, true);
  });

  it('removes a key the new version removed when the cluster left it alone', () => {
    const theirsWithout = theirs.replace('ports: [8080]\n', '');
    const ours = base.replace('replicas: 1', 'replicas: 5');
    const merged = valuesToObject(mergeValues3Way({ base, ours, theirs: theirsWithout }).text, 'merged');
    assert.equal('ports' in merged, false);
    assert.equal(merged.replicas, 5);
  });

  it('both removing a key is no conflict', () => {
    const result = mergeValues3Way({
      base,
      ours: base.replace('logLevel: info\n', '').replace('replicas: 1', 'replicas: 2'),
      theirs: theirs.replace('logLevel: info\n', ''),
    });
    assert.equal(result.clean, true);
    assert.equal('logLevel' in valuesToObject(result.text, 'merged'), false);
  });

  it('is a conflict when the cluster removed a key the new version changed', () => {
    const result = mergeValues3Way({
      base,
      ours: base.replace('logLevel: info\n', ''),
      theirs: theirs.replace('logLevel: info', 'logLevel: debug'),
    });
    assert.deepEqual(result.conflicts, [{ path: 'logLevel', base: 'info', theirs: 'debug', line: 5 }]);
    assert.equal(
      result.text.split('\n')[4],
      'logLevel: debug # strata: conflict — this cluster removed this key',
    );
  });

  it('is a conflict when the new version removed a key the cluster changed, shown on a marker line', () => {
    const result = mergeValues3Way({
      base,
      ours: base.replace('port: 8080', 'port: 9090'),
      theirs: theirs.replace('  port: 8080\n', ''),
    });
    assert.equal(result.conflicts.length, 1);
    const [conflict] = result.conflicts;
    assert.deepEqual(conflict, { path: 'service.port', base: 8080, ours: 9090, line: conflict!.line });
    assert.equal(
      result.text.split('\n')[conflict!.line - 1],
      '  # strata: conflict at service.port — the new version removes this key; this cluster had 9090',
    );
    // The text keeps the new version's side: the key is gone.
    assert.deepEqual(valuesToObject(result.text, 'merged').service, { type: 'ClusterIP' });
  });

  it('compares lists as whole values', () => {
    const b = lines('args: [a, b]', 'hosts: [x]');
    const onlyOurs = mergeValues3Way({
      base: b,
      ours: lines('args: [a, b, c]', 'hosts: [x]'),
      theirs: lines('args: [a, b]', 'hosts: [y]'),
    });
    assert.equal(onlyOurs.text, lines('args: [a, b, c]', 'hosts: [y]'));
    const both = mergeValues3Way({
      base: b,
      ours: lines('args: [a, c]', 'hosts: [x]'),
      theirs: lines('args: [a, b, d]', 'hosts: [x]'),
    });
    assert.deepEqual(both.conflicts, [
      { path: 'args', base: ['a', 'b'], ours: ['a', 'c'], theirs: ['a', 'b', 'd'], line: 1 },
    ]);
  });

  it('merges lists of named maps (containers, env) item by item when that meets no conflict', () => {
    const b = lines(
      'env:',
      '  - name: LOG_LEVEL',
      '    value: info',
      '  - name: REGION',
      '    value: eu-west-1',
      '  - name: OLD_FLAG',
      '    value: "1"',
    );
    const o = lines(
      'env:',
      '  - name: LOG_LEVEL',
      '    value: debug # while we investigate',
      '  - name: REGION',
      '    value: eu-west-1',
      '  - name: OLD_FLAG',
      '    value: "1"',
      '  - name: TEAM',
      '    value: core',
    );
    const t = lines(
      'env:',
      '  # Set by the platform.',
      '  - name: REGION',
      '    value: eu-west-2',
      '  - name: LOG_LEVEL',
      '    value: info',
      '  - name: TRACING',
      '    value: "on"',
    );
    const result = mergeValues3Way({ base: b, ours: o, theirs: t });
    assert.equal(result.clean, true);
    assert.equal(
      result.text,
      lines(
        'env:',
        '  # Set by the platform.',
        '  - name: REGION',
        '    value: eu-west-2',
        // An added item goes after its nearest preceding item (in the cluster's order) that is still there.
        '  - name: TEAM',
        '    value: core',
        '  - name: LOG_LEVEL',
        '    value: debug # while we investigate',
        '  - name: TRACING',
        '    value: "on"',
      ),
    );
  });

  it('keeps a named list atomic, reporting the list, when its items conflict', () => {
    const b = lines('env: [{name: A, value: "1"}, {name: B, value: "1"}]');
    const result = mergeValues3Way({
      base: b,
      ours: lines('env: [{name: A, value: "2"}, {name: B, value: "1"}]'),
      theirs: lines('env: [{name: A, value: "3"}, {name: B, value: "1"}]'),
    });
    assert.deepEqual(
      result.conflicts.map((c) => c.path),
      ['env'],
    );
    assert.equal(
      result.text,
      lines(
        'env: [{name: A, value: "3"}, {name: B, value: "1"}] # strata: conflict — this cluster had [{name: A, value: "2"}, {name: B, value: "1"}]',
      ),
    );
  });

  it('is a conflict when one side turned a map into a value and the other changed inside it', () => {
    const b = lines('tls:', '  enabled: true', '  secret: a');
    const result = mergeValues3Way({
      base: b,
      ours: lines('tls: false'),
      theirs: lines('tls:', '  enabled: true', '  secret: b'),
    });
    assert.deepEqual(
      result.conflicts.map((c) => [c.path, c.ours]),
      [['tls', false]],
    );
    assert.equal(
      result.text.split('\n')[result.conflicts[0]!.line - 2],
      '# strata: conflict — this cluster had false',
    );
  });

  it('handles empty documents on any side', () => {
    assert.equal(mergeValues3Way({ base: '', ours: '', theirs }).text, theirs);
    const added = mergeValues3Way({
      base: '',
      ours: lines('extra: 1'),
      theirs: lines('# new defaults', 'a: 1'),
    });
    assert.equal(added.text, lines('# new defaults', 'a: 1', 'extra: 1'));
    const intoEmpty = mergeValues3Way({ base: lines('a: 1'), ours: lines('a: 1', 'b: 2'), theirs: '' });
    assert.deepEqual(valuesToObject(intoEmpty.text, 'merged'), { b: 2 });
    const clearedByUs = mergeValues3Way({
      base: lines('a: 1', 'b: 1'),
      ours: '',
      theirs: lines('a: 1', 'b: 1', 'c: 1'),
    });
    assert.deepEqual(valuesToObject(clearedByUs.text, 'merged'), { c: 1 });
  });

  it('copies aliased values in plainly instead of leaving dangling aliases', () => {
    const b = lines('defaults: &d {cpu: 1}', 'api: *d', 'ui: {cpu: 1}');
    const o = lines('defaults: &d {cpu: 2}', 'api: *d', 'ui: *d');
    const t = lines('api: {cpu: 1}', 'ui: {cpu: 1}', 'new: true');
    const result = mergeValues3Way({ base: b, ours: o, theirs: t });
    assert.deepEqual(
      result.conflicts.map((c) => c.path),
      ['defaults'],
    );
    const merged = valuesToObject(result.text, 'merged');
    assert.deepEqual(merged.api, { cpu: 2 });
    assert.deepEqual(merged.ui, { cpu: 2 });
  });

  it('refuses invalid YAML naming the side it came from', () => {
    throwsInvalidYaml(() => mergeValues3Way({ base, ours: 'replicas: [1\n', theirs }), 'ours');
    throwsInvalidYaml(() => mergeValues3Way({ base, ours: base, theirs: 'a: 1\na: 2\n' }), 'theirs');
    throwsInvalidYaml(() => mergeValues3Way({ base: '- a\n', ours: base, theirs }), 'base');
  });

  it('refuses a YAML bomb and custom tags in any input', () => {
    const bomb = lines(
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
    );
    throwsInvalidYaml(() => mergeValues3Way({ base, ours: bomb, theirs }), 'ours');
    throwsInvalidYaml(
      () => mergeValues3Way({ base, ours: base, theirs: 'run: !!js/function "() => 1"\n' }),
      'theirs',
    );
    throwsInvalidYaml(() => mergeValues3Way({ base: 'x: !custom 1\n', ours: base, theirs }), 'base');
  });

  it('produces text that parses and merges to the same result again', () => {
    const ours = base.replace('replicas: 1', 'replicas: 3').replace('logLevel: info', 'logLevel: warn');
    const first = mergeValues3Way({ base, ours, theirs });
    const again = mergeValues3Way({ base, ours, theirs });
    assert.equal(again.text, first.text);
    // Moving on from the merged result to the same version again changes nothing.
    assert.equal(mergeValues3Way({ base: theirs, ours: first.text, theirs }).text, first.text);
  });
});

describe('resolveConflictMarkers', () => {
  it('strips end-of-line markers and marker lines, keeping other comments and the chosen values', () => {
    const result = mergeValues3Way({
      base,
      ours: base.replace('type: ClusterIP', 'type: NodePort').replace('port: 8080', 'port: 9090'),
      theirs: theirs.replace('type: ClusterIP', 'type: LoadBalancer').replace('  port: 8080\n', ''),
    });
    assert.equal(result.conflicts.length, 2);
    const accepted = resolveConflictMarkers(result.text);
    assert.doesNotMatch(accepted, /strata: conflict/);
    assert.match(accepted, /^ {2}type: LoadBalancer # inside the cluster only$/m);
    assert.deepEqual(valuesToObject(accepted, 'v'), valuesToObject(result.text, 'v'));
    assert.equal(resolveConflictMarkers(accepted), accepted);
  });

  it('never changes a value that merely looks like a marker', () => {
    const text = lines(
      'script: |',
      '  echo hi',
      '  # strata: conflict — part of the script',
      'note: x # strata: conflict — a marker',
    );
    const cleaned = resolveConflictMarkers(text);
    assert.deepEqual(valuesToObject(cleaned, 'v'), valuesToObject(text, 'v'));
    assert.doesNotMatch(cleaned, /a marker/);
  });
});
