/**
 * docs/cli.md is generated from the commander program (`npm run docs`); this fails when a command, argument or
 * option changed and the reference was not regenerated, and checks the reference covers DESIGN section 7.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CLI_DOCS_PATH, renderCliDocs } from '../../scripts/gen-cli-docs.ts';

describe('docs/cli.md', () => {
  it('matches what `npm run docs` generates from the CLI definitions (run it when this fails)', () => {
    const committed = readFileSync(CLI_DOCS_PATH, 'utf8');
    assert.equal(committed, renderCliDocs(), 'docs/cli.md is stale: run `npm run docs`');
  });

  it('documents every command of the interface contract with its options', () => {
    const text = renderCliDocs();
    for (const command of [
      'strata up',
      'strata pack list',
      'strata pack get',
      'strata profile create',
      'strata profile edit',
      'strata profile version',
      'strata cluster create',
      'strata cluster kubeconfig',
      'strata cluster plan',
      'strata cluster update',
      'strata cluster override',
      'strata cluster repave approve',
      'strata cluster prune',
      'strata rollout start',
      'strata token create',
    ]) {
      assert.match(text, new RegExp(`^### \`${command}\`$`, 'm'), `${command} is documented`);
    }
    assert.match(text, /^\| `--cloud <type>` \| sim \\\| edge \\\| existing \(default: `sim`\) \|$/m);
    assert.match(text, /\| `-y, --yes` \| apply without asking \|/);
    assert.match(
      text,
      /\| `-o, --output <format>` \| output format \(one of: `table`, `json`, `yaml`; default: `table`\) \|/,
    );
  });
});
