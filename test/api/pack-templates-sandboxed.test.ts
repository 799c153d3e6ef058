/**
 * The two vulnerabilities of the security review, as a hostile admin would try them over REST: code from a pack
 * template must not run in the server, and a template must not stall it. Each request is refused with
 * `TemplateRenderFailed`, nothing is stored, and other requests are answered meanwhile.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { forEachApiDriver } from './fixture.ts';

/** Pack files whose one template carries `line` in a ConfigMap's data. */
function packWith(name: string, template: string) {
  return {
    manifest: `name: ${name}\nversion: 1.0.0\nlayer: addon\ndisplayName: Hostile\n`,
    values: 'a: 1\n',
    templates: { 'cm.yaml': template },
  };
}

forEachApiDriver((fixture) => {
  it('refuses a template reaching the Function constructor (bracket form too); no code runs', async (t) => {
    const f = fixture(t);
    if (!f) return;
    const marker = join(tmpdir(), `strata-rce-api-${process.pid}-${Date.now()}`);
    const code = `return process.getBuiltinModule('fs').writeFileSync('${marker}', 'pwned')`;
    for (const [i, expression] of [
      `range[['constructor']]("${code}")()`,
      `range.constructor("${code}")()`,
      `cycler[['constructor']][['constructor']]("${code}")()`,
    ].entries()) {
      const template = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: x\ndata:\n  x: '{{ ${expression} }}'\n`;
      const answer = await f.call('POST', '/v1/packs', { body: packWith(`hostile-${i}`, template) });
      assert.equal(answer.status, 422, answer.text);
      assert.equal(answer.json.code, 'TemplateRenderFailed');
      assert.equal(existsSync(marker), false, 'the template wrote a file on the server');
      assert.equal((await f.call('GET', `/v1/packs/hostile-${i}`)).status, 404, 'nothing is stored');
    }
  });

  it('refuses a template that loops or allocates without stalling other requests', async (t) => {
    const f = fixture(t);
    if (!f) return;
    const loops = [
      '{% for i in range(0, 10000000) %}x{% endfor %}\n',
      '{% for i in range(0, 100000) %}{% for j in range(0, 100000) %}x{% endfor %}{% endfor %}\n',
    ];
    for (const [i, template] of loops.entries()) {
      const started = Date.now();
      const hostile: Promise<{ status: number; text: string; json: { code?: string } }> = f.call(
        'POST',
        '/v1/packs',
        {
          body: packWith(`looping-${i}`, template),
        },
      );
      // While it renders, reads are answered at once.
      const reads: number[] = [];
      for (let n = 0; n < 5; n += 1) {
        const t0 = Date.now();
        assert.equal((await f.call('GET', '/v1/packs')).status, 200);
        reads.push(Date.now() - t0);
      }
      const answer = await hostile;
      assert.equal(answer.status, 422, answer.text);
      assert.equal(answer.json.code, 'TemplateRenderFailed');
      assert.ok(Date.now() - started < 8000, `refused after ${Date.now() - started} ms`);
      assert.ok(Math.max(...reads) < 1000, `reads took ${reads.join(', ')} ms while the template rendered`);
    }
  });
});
