import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadPackDirectory } from '../../src/catalog/load.ts';
import { isStrataError } from '../../src/core/errors.ts';

async function writePack(root: string, folder: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    const full = join(root, folder, path);
    await mkdir(join(full, '..'), { recursive: true });
    await writeFile(full, text);
  }
}

const manifest = (name: string, version: string) =>
  `name: ${name}\nversion: ${version}\nlayer: addon\ndisplayName: ${name}\n`;
const configMap =
  'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ values.name }}\n  namespace: default\n';

describe('loadPackDirectory', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'strata-packs-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('reads every <name>/<version>/ folder with its values and templates', async () => {
    const dir = join(root, 'ok');
    await writePack(dir, 'demo/1.0.0', {
      'pack.yaml': manifest('demo', '1.0.0'),
      'values.yaml': '# defaults\nname: one\n',
      'templates/b.yaml': configMap,
      'templates/a.yaml': configMap.replace('{{ values.name }}', 'fixed'),
      'templates/README.md': 'not a template',
    });
    await writePack(dir, 'demo/1.1.0', { 'pack.yaml': manifest('demo', '1.1.0') });
    const packs = await loadPackDirectory(dir, 'user');
    assert.deepEqual(
      packs.map((p) => `${p.name}@${p.version}`),
      ['demo@1.0.0', 'demo@1.1.0'],
    );
    assert.deepEqual(
      packs[0]!.manifests.map((m) => m.name),
      ['a.yaml', 'b.yaml'],
    );
    assert.equal(packs[0]!.values, '# defaults\nname: one\n');
    assert.equal(packs[0]!.source, 'user');
    assert.deepEqual(packs[1]!.manifests, []);
  });

  it('refuses a folder whose name or version disagrees with its pack.yaml', async () => {
    const dir = join(root, 'mismatch');
    await writePack(dir, 'demo/1.0.1', { 'pack.yaml': manifest('demo', '1.0.0') });
    await assert.rejects(
      loadPackDirectory(dir, 'user'),
      (error: unknown) =>
        isStrataError(error) &&
        error.code === 'PackInvalid' &&
        /its folder must be demo\/1\.0\.0/.test(error.message),
    );
  });

  it('names the folder of a pack that fails validation', async () => {
    const dir = join(root, 'broken');
    await writePack(dir, 'demo/1.0', { 'pack.yaml': manifest('demo', '1.0') });
    await assert.rejects(
      loadPackDirectory(dir, 'user'),
      (error: unknown) =>
        isStrataError(error) &&
        error.code === 'InvalidSemver' &&
        error.details.directory === join(dir, 'demo', '1.0') &&
        error.message.includes(join(dir, 'demo', '1.0')),
    );
  });

  it('refuses a version folder without pack.yaml', async () => {
    const dir = join(root, 'empty');
    await mkdir(join(dir, 'demo', '1.0.0'), { recursive: true });
    await assert.rejects(loadPackDirectory(dir, 'user'), { code: 'PackInvalid' });
  });
});
