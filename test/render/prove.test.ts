/**
 * Proving a pack renders (its defaults and each preset) in the render sandbox: the errors a pack author sees, and
 * what a hostile template can no longer do — reach the host, stall the server, or exhaust its memory.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isStrataError, type StrataError } from '../../src/core/errors.ts';
import { type PackFiles, parsePack } from '../../src/core/pack.ts';
import { provePackRenders } from '../../src/render/prove.ts';
import { addonFiles } from '../support/pack-files.ts';
import { testRenderer } from '../support/render.ts';

/** Returns the StrataError proving the pack fails with, failing the test when it renders. */
async function proveError(files: PackFiles): Promise<StrataError> {
  try {
    await provePackRenders(parsePack(files, 'user'), testRenderer);
  } catch (error) {
    if (isStrataError(error)) return error;
    throw error;
  }
  assert.fail('expected the pack to be refused');
}

/** A pack whose one ConfigMap template carries `body` in its data. */
function withTemplate(body: string): PackFiles {
  return addonFiles({
    templates: {
      'cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: demo\ndata:\n  x: "${body}"\n`,
    },
  });
}

describe('proving a pack renders', () => {
  it('accepts a pack that renders with its defaults and each preset', async () => {
    await provePackRenders(parsePack(addonFiles(), 'user'), testRenderer);
  });

  it('refuses a template that does not parse, naming pack, template and line', async () => {
    const templates = {
      '01-deployment.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ values.app.name }\n',
    };
    const error = await proveError(addonFiles({ templates }));
    assert.equal(error.code, 'TemplateRenderFailed');
    assert.equal(error.details.template, '01-deployment.yaml');
    assert.equal(error.details.line, 4);
    assert.match(error.message, /^Pack demo@1\.0\.0: template 01-deployment\.yaml does not parse at line 4/);
  });

  it('refuses a template that does not render with the default values, naming the line', async () => {
    const templates = {
      '01-deployment.yaml': addonFiles().templates['01-deployment.yaml']!.replace(
        'values.app.name',
        'values.app.title',
      ),
    };
    const error = await proveError(addonFiles({ templates }));
    assert.equal(error.code, 'TemplateRenderFailed');
    assert.equal(error.details.line, 4);
    assert.match(
      error.message,
      /template 01-deployment\.yaml does not render at line 4 \(`name: \{\{ values\.app\.title \}\}`\): attempted to output null or undefined value/,
    );
  });

  it('refuses a template that breaks only when a preset is enabled, naming the preset', async () => {
    const manifest = addonFiles().manifest.replace(
      '    remove:\n      - app.replicas\n',
      '    remove:\n      - app.name\n',
    );
    const error = await proveError(addonFiles({ manifest }));
    assert.equal(error.code, 'TemplateRenderFailed');
    assert.equal(error.details.preset, 'big');
    assert.match(error.message, /with preset big enabled/);
  });

  it('refuses a rendered object without apiVersion, kind or metadata.name', async () => {
    const cases: Array<[string, string]> = [
      ['kind: ConfigMap\nmetadata:\n  name: a\n  namespace: demo\n', 'apiVersion'],
      ['apiVersion: v1\nmetadata:\n  name: a\n  namespace: demo\n', 'kind'],
      ['apiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: demo\n', 'metadata.name'],
    ];
    for (const [template, field] of cases) {
      const error = await proveError(addonFiles({ templates: { 'cm.yaml': template } }));
      assert.equal(error.code, 'PackInvalid', field);
      assert.equal(error.details.field, field);
      assert.match(error.message, /^Pack demo@1\.0\.0: template cm\.yaml renders /);
    }
  });

  it('refuses a namespaced object without a namespace', async () => {
    const error = await proveError(
      addonFiles({ templates: { 'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n' } }),
    );
    assert.equal(error.code, 'PackInvalid');
    assert.equal(error.details.field, 'metadata.namespace');
    assert.match(error.message, /templates must set namespaces explicitly/);
  });

  it('refuses output that is not valid YAML', async () => {
    const error = await proveError(
      addonFiles({ templates: { 'cm.yaml': 'apiVersion: v1\nkind: [ConfigMap\n' } }),
    );
    assert.equal(error.code, 'TemplateRenderFailed');
    assert.match(error.message, /template cm\.yaml renders invalid YAML/);
  });

  it('refuses a template that tries to reach the Function constructor', async () => {
    const templates = {
      'cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: demo\ndata:\n  x: "{{ range.constructor("return 1")() }}"\n',
    };
    const error = await proveError(addonFiles({ templates }));
    assert.equal(error.code, 'TemplateRenderFailed');
    assert.equal(error.details.line, 7);
  });

  it('refuses every way to the Function constructor, and no code runs on the host', async () => {
    const marker = join(tmpdir(), `strata-rce-${process.pid}-${Date.now()}`);
    const write = `return process.getBuiltinModule('fs').writeFileSync('${marker}', 'x')`;
    const attempts = [
      `{{ range.constructor('${write}')() }}`,
      `{{ range[['constructor']]('${write}')() }}`,
      `{{ range['const' + 'ructor']('${write}')() }}`,
      `{{ cycler.constructor.constructor('${write}')() }}`,
      `{{ joiner()['__proto__'] }}`,
      `{% set f = range.bind %}{{ f.constructor('${write}')() }}`,
    ];
    for (const attempt of attempts) {
      const error = await proveError(withTemplate(attempt.replaceAll('"', '\\"')));
      assert.equal(error.code, 'TemplateRenderFailed', attempt);
      assert.equal(existsSync(marker), false, `${attempt} wrote a file on the host`);
    }
  });

  it('refuses a loop that would exhaust memory, quickly, naming the limit', async () => {
    const started = Date.now();
    const error = await proveError(
      addonFiles({ templates: { 'cm.yaml': '{% for i in range(0, 100000000) %}x{% endfor %}\n' } }),
    );
    assert.equal(error.code, 'TemplateRenderFailed');
    assert.match(error.message, /range\(\) of 100000000 items is more than the 100000/);
    assert.ok(Date.now() - started < 2000, `refused after ${Date.now() - started} ms`);
  });

  it('stops a render that runs too long, and the server thread stays responsive meanwhile', async () => {
    let ticks = 0;
    let longestGapMs = 0;
    let last = Date.now();
    const timer = setInterval(() => {
      const now = Date.now();
      longestGapMs = Math.max(longestGapMs, now - last);
      last = now;
      ticks += 1;
    }, 10);
    const started = Date.now();
    try {
      const error = await proveError(
        addonFiles({
          templates: {
            'cm.yaml':
              '{% for i in range(0, 100000) %}{% for j in range(0, 100000) %}x{% endfor %}{% endfor %}\n',
          },
        }),
      );
      assert.equal(error.code, 'TemplateRenderFailed');
      assert.match(error.message, /took longer than \d+ ms and was stopped/);
    } finally {
      clearInterval(timer);
    }
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 6000, `stopped after ${elapsed} ms`);
    assert.ok(ticks > elapsed / 40, `the event loop ticked ${ticks} times in ${elapsed} ms`);
    assert.ok(longestGapMs < 500, `the event loop stalled for ${longestGapMs} ms`);
  });

  it("refuses a YAML alias bomb in a template's output", async () => {
    const bomb = [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: {name: a, namespace: demo}',
      'data:',
      '  a: &a ["x","x","x","x","x","x","x","x","x"]',
      '  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      '  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      '  d: [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      '',
    ].join('\n');
    const error = await proveError(addonFiles({ templates: { 'cm.yaml': bomb } }));
    assert.equal(error.code, 'TemplateRenderFailed');
    assert.match(error.message, /YAML bomb/);
  });

  it('refuses a template that renders text rather than an object', async () => {
    const error = await proveError(addonFiles({ templates: { 'cm.yaml': 'just some text\n' } }));
    assert.equal(error.code, 'PackInvalid');
    assert.match(error.message, /renders a string where a Kubernetes object \(a mapping\) belongs/);
  });

  it('replaces a render worker that runs out of memory and keeps serving', async () => {
    const { Renderer } = await import('../../src/render/renderer.ts');
    const small = new Renderer({ sandbox: { workers: 1, maxHeapMb: 64, limits: { timeoutMs: 20_000 } } });
    try {
      const grow =
        '{% set s = "xxxxxxxxxxxxxxxx" %}{% for i in range(0, 40) %}{% set s = s + s %}{% endfor %}{{ s | length }}';
      const error = await provePackRenders(parsePack(withTemplate(grow), 'user'), small).then(
        () => assert.fail('expected the render to be stopped'),
        (e: unknown) => e as StrataError,
      );
      assert.equal(error.code, 'TemplateRenderFailed');
      assert.match(error.message, /more than 64 MiB of memory|cannot be rendered|Invalid string length/);
      await provePackRenders(parsePack(addonFiles(), 'user'), small);
    } finally {
      await small.close();
    }
  });
});
