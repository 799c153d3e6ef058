/** Pack files for tests of pack parsing and rendering. */
import type { PackFiles } from '../../src/core/pack.ts';

/** A small valid add-on pack; each test breaks one thing. */
export function addonFiles(overrides: Partial<PackFiles> = {}): PackFiles {
  return {
    manifest: [
      'name: demo',
      'version: 1.0.0',
      'layer: addon',
      'displayName: Demo',
      'description: A demo add-on.',
      'nodeImpactPaths: []',
      'presets:',
      '  - name: big',
      '    displayName: Big',
      '    group: size',
      '    add: |',
      '      app:',
      '        replicas: 5',
      '    remove:',
      '      - app.replicas',
      '',
    ].join('\n'),
    values: ['# Demo values', 'app:', '  # Pods to run.', '  replicas: 1', '  name: demo-app', ''].join('\n'),
    templates: {
      '01-deployment.yaml': [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        '  name: {{ values.app.name }}',
        '  namespace: demo',
        'spec:',
        '  replicas: {{ values.app.replicas }}',
        '',
      ].join('\n'),
    },
    ...overrides,
  };
}
