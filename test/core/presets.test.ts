import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStrataError } from '../../src/core/errors.ts';
import type { Pack, Preset } from '../../src/core/model.ts';
import { applyPresets, defaultLayerValues } from '../../src/core/presets.ts';
import { valuesToObject } from '../../src/core/values.ts';

const lines = (...rows: string[]): string => `${rows.join('\n')}\n`;

function preset(name: string, group: string, add: string, remove: string[] = []): Preset {
  return { name, displayName: name, group, add, remove };
}

/** A small hand-made add-on pack: a `mode` group (api / worker) and a `size` group (big). */
const pack: Pack = {
  name: 'demo',
  version: '1.0.0',
  layer: 'addon',
  displayName: 'Demo',
  description: 'A demo add-on.',
  values: lines(
    '# Demo values',
    'app:',
    '  # Pods to run.',
    '  replicas: 1',
    '  name: demo-app',
    '  annotations:',
    '    example.com/team: core',
    'simple:',
    '  enabled: true # the single deployment',
    '  port: 8080',
  ),
  presets: [
    preset(
      'enable-api',
      'mode',
      lines('api:', '  # Port the API listens on.', '  port: 3000', '  replicas: 2'),
      ['simple'],
    ),
    preset('worker', 'mode', lines('worker:', '  queue: jobs'), [
      'simple.port',
      'app.annotations["example.com/team"]',
    ]),
    preset(
      'big',
      'size',
      lines('app:', '  replicas: 5 # sized for production', '  resources:', '    cpu: "2"'),
    ),
  ],
  nodeImpactPaths: [],
  manifests: [],
  source: 'user',
  kind: 'strata',
};

function strataCode(fn: () => unknown): { code: string; details: Record<string, unknown>; message: string } {
  try {
    fn();
  } catch (error) {
    assert.ok(isStrataError(error));
    return { code: error.code, details: error.details, message: error.message };
  }
  assert.fail('expected a StrataError');
}

describe('applyPresets', () => {
  it('enables a preset: removes its paths, adds its fragment with comments, keeps comments elsewhere', () => {
    const result = applyPresets(pack, pack.values, [], ['enable-api']);
    assert.deepEqual(result.presets, ['enable-api']);
    assert.equal(
      result.values,
      lines(
        '# Demo values',
        'app:',
        '  # Pods to run.',
        '  replicas: 1',
        '  name: demo-app',
        '  annotations:',
        '    example.com/team: core',
        'api:',
        '  # Port the API listens on.',
        '  port: 3000',
        '  replicas: 2',
      ),
    );
  });

  it('disables a preset: what it added goes away and what it removed comes back from the defaults', () => {
    const enabled = applyPresets(pack, pack.values, [], ['enable-api']).values;
    const disabled = applyPresets(pack, enabled, ['enable-api'], []);
    assert.deepEqual(disabled.presets, []);
    assert.deepEqual(valuesToObject(disabled.values, 'v'), valuesToObject(pack.values, 'v'));
    assert.match(disabled.values, /enabled: true # the single deployment/);
  });

  it('restores the default value of a path the preset had changed when it is disabled', () => {
    const big = applyPresets(pack, pack.values, [], ['big']);
    assert.match(big.values, /replicas: 5 # sized for production/);
    assert.deepEqual(valuesToObject(big.values, 'v').app, {
      replicas: 5,
      name: 'demo-app',
      annotations: { 'example.com/team': 'core' },
      resources: { cpu: '2' },
    });
    const back = applyPresets(pack, big.values, ['big'], []);
    // replicas returns to the default 1; resources (not in the defaults) disappears, empty map included.
    assert.deepEqual(valuesToObject(back.values, 'v'), valuesToObject(pack.values, 'v'));
  });

  it('toggles within a group: the old preset is undone, the new one applied', () => {
    const api = applyPresets(pack, pack.values, [], ['enable-api', 'big']);
    const worker = applyPresets(pack, api.values, api.presets, ['worker', 'big']);
    assert.deepEqual(worker.presets, ['big', 'worker']);
    assert.deepEqual(valuesToObject(worker.values, 'v'), {
      app: { replicas: 5, name: 'demo-app', annotations: {}, resources: { cpu: '2' } },
      simple: { enabled: true },
      worker: { queue: 'jobs' },
    });
  });

  it("does not re-apply presets that stay enabled, so the cluster's own edits survive", () => {
    const big = applyPresets(pack, pack.values, [], ['big']).values;
    const edited = big.replace('replicas: 5', 'replicas: 7');
    const result = applyPresets(pack, edited, ['big'], ['big']);
    assert.equal(result.values, edited);
    const withApi = applyPresets(pack, edited, ['big'], ['big', 'enable-api']);
    assert.equal((valuesToObject(withApi.values, 'v').app as { replicas: number }).replicas, 7);
  });

  it('refuses an unknown preset, naming the known ones', () => {
    const error = strataCode(() => applyPresets(pack, pack.values, [], ['enable-apii']));
    assert.equal(error.code, 'PresetUnknown');
    assert.deepEqual(error.details, {
      field: 'presets',
      pack: 'demo',
      preset: 'enable-apii',
      known: ['enable-api', 'worker', 'big'],
    });
    assert.match(error.message, /no preset 'enable-apii' \(known: enable-api, worker, big\)/);
  });

  it('refuses two presets of one group', () => {
    const error = strataCode(() => applyPresets(pack, pack.values, [], ['worker', 'enable-api']));
    assert.equal(error.code, 'PresetGroupConflict');
    assert.deepEqual(error.details, {
      field: 'presets',
      pack: 'demo',
      group: 'mode',
      presets: ['enable-api', 'worker'],
    });
  });

  it('returns the presets sorted and without duplicates', () => {
    assert.deepEqual(applyPresets(pack, pack.values, [], ['worker', 'big', 'worker']).presets, [
      'big',
      'worker',
    ]);
  });

  it('ignores a previously enabled preset the pack no longer defines', () => {
    const result = applyPresets(pack, pack.values, ['retired'], []);
    assert.equal(result.values, pack.values);
  });

  it('removes list items named by index in a dotted path', () => {
    const withList: Pack = {
      ...pack,
      values: lines('hosts:', '  - a.example.com', '  - b.example.com'),
      presets: [preset('single-host', 'hosts', lines('single: true'), ['hosts.1'])],
    };
    assert.deepEqual(valuesToObject(defaultLayerValues(withList, ['single-host']), 'v'), {
      hosts: ['a.example.com'],
      single: true,
    });
  });

  it('refuses invalid values', () => {
    const error = strataCode(() => applyPresets(pack, 'app: [1\n', [], ['big']));
    assert.equal(error.code, 'InvalidYaml');
  });
});

describe('defaultLayerValues', () => {
  it('returns the pack defaults untouched without presets, and with presets enabled otherwise', () => {
    assert.equal(defaultLayerValues(pack, []), pack.values);
    assert.equal(
      defaultLayerValues(pack, ['big', 'enable-api']),
      applyPresets(pack, pack.values, [], ['enable-api', 'big']).values,
    );
    const worker = valuesToObject(defaultLayerValues(pack, ['worker']), 'v');
    assert.deepEqual(worker, {
      app: { replicas: 1, name: 'demo-app', annotations: {} },
      simple: { enabled: true },
      worker: { queue: 'jobs' },
    });
  });
});
