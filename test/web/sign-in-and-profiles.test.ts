/**
 * The console in real Chromium against a running Strata: signing in (and being refused), roles shaping the
 * controls, and the profile workflows — layers with preset switches and validated YAML, a new version, an
 * in-place edit with its warning, and the revision diff.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { requireOrSkip } from '../support/requirements.ts';
import { chromiumMissing, launchBrowser, type TestBrowser } from './browser.ts';
import { type ConsoleFixture, startConsoleFixture } from './fixture.ts';

describe('web console: sign-in, roles and profiles', () => {
  let fx: ConsoleFixture;
  let browser: TestBrowser;
  const missing = chromiumMissing();

  before(async () => {
    if (missing) return;
    fx = await startConsoleFixture({ withEngine: false });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await fx?.close();
  });

  it('refuses an unknown token with the server’s code and sentence', async (t) => {
    if (!requireOrSkip(t, 'Chromium', missing)) return;
    const { page } = browser;
    await page.goto(fx.url);
    await page.getByLabel('API token').fill('not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /Unauthorized/);
    assert.match(await alert.innerText(), /not valid/);
    await browser.screenshot('01-sign-in-refused');
  });

  it('signs in with the admin token and lists the demo profile', async (t) => {
    if (!requireOrSkip(t, 'Chromium', missing)) return;
    const { page } = browser;
    await page.getByLabel('API token').fill(fx.strata.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Clusters' }).waitFor();
    await page.getByText('No clusters yet').waitFor();
    await browser.screenshot('02-clusters-empty');
    await page.getByRole('link', { name: 'Profiles' }).click();
    const table = page.getByTestId('profiles');
    await table.getByRole('link', { name: 'hello-universe-aws' }).waitFor();
    assert.match(await table.innerText(), /1\.0\.0[\s\S]*1\.1\.0/);
    await browser.screenshot('03-profiles');
  });

  it('switches a preset on a layer and shows the values it adds', async (t) => {
    if (!requireOrSkip(t, 'Chromium', missing)) return;
    const { page } = browser;
    await page.goto(`${fx.url}#/profiles/hello-universe-aws/versions/1.0.0`);
    await page
      .getByRole('button', { name: /hello-universe/ })
      .first()
      .click();
    const layer = page.getByTestId('layer-hello-universe');
    const toggle = layer.getByRole('switch');
    await toggle.first().waitFor();
    const before = await layer.locator('.cm-content').innerText();
    await layer.locator('label.switch').first().click();
    assert.equal(await toggle.first().isChecked(), true);
    const afterText = await layer.locator('.cm-content').innerText();
    assert.notEqual(afterText, before, 'enabling the preset changes the values');
    await page.getByRole('button', { name: /hello-universe.*edited/ }).waitFor();
    await browser.screenshot('04-profile-layer-preset-on');
    // Turning it off again restores the values; nothing is left to save.
    await layer.locator('label.switch').first().click();
    assert.equal(await layer.locator('.cm-content').innerText(), before);
  });

  it('marks invalid YAML with the server’s sentence before any save', async (t) => {
    if (!requireOrSkip(t, 'Chromium', missing)) return;
    const { page } = browser;
    const layer = page.getByTestId('layer-hello-universe');
    await layer.locator('.cm-content').click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('\nbroken: [unclosed');
    const problem = layer.locator('.editor-problem');
    await problem.waitFor();
    assert.match(await problem.innerText(), /InvalidYaml/);
    assert.match(await problem.innerText(), /line \d+/);
    const save = page.getByRole('button', { name: 'Save changes…' });
    assert.equal(await save.isDisabled(), true);
    await browser.screenshot('05-profile-invalid-yaml');
    await page.getByRole('button', { name: 'Discard changes' }).click();
    await problem.waitFor({ state: 'detached' });
  });

  it('creates a new version from an existing one', async (t) => {
    if (!requireOrSkip(t, 'Chromium', missing)) return;
    const { page } = browser;
    await page.getByRole('button', { name: 'New version…' }).click();
    const dialog = page.getByRole('dialog');
    const input = dialog.getByLabel('New version');
    assert.equal(await input.inputValue(), '1.2.0', 'suggests the next minor after the highest version');
    await browser.screenshot('06-new-version-dialog');
    await dialog.getByRole('button', { name: /Create hello-universe-aws@1\.2\.0/ }).click();
    await page.waitForURL(/#\/profiles\/hello-universe-aws\/versions\/1\.2\.0/);
    await page.getByText('revision 1').waitFor();
    const copy = await fx.api<{ layers: unknown[] }>('GET', '/v1/profiles/hello-universe-aws/versions/1.2.0');
    assert.equal(copy.layers.length, 5);
  });

  it('edits a version in place after warning, and shows the revision diff', async (t) => {
    if (!requireOrSkip(t, 'Chromium', missing)) return;
    const { page } = browser;
    await page
      .getByRole('button', { name: /hello-universe/ })
      .first()
      .click();
    const layer = page.getByTestId('layer-hello-universe');
    await layer.locator('label.switch').first().click();
    await page.getByRole('button', { name: 'Save changes…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('A new version is the better practice.').waitFor();
    await dialog.getByText('No cluster uses this version.').waitFor();
    await browser.screenshot('07-edit-in-place-warning');
    await dialog.getByRole('button', { name: 'Save as revision 2' }).click();
    const saved = page.getByTestId('saved-warning');
    await saved.waitFor();
    assert.match(await saved.innerText(), /Saved revision 2/);
    const stored = await fx.api<{ revision: number; layers: Array<{ pack: string; presets: string[] }> }>(
      'GET',
      '/v1/profiles/hello-universe-aws/versions/1.2.0',
    );
    assert.equal(stored.revision, 2);
    assert.deepEqual(stored.layers.find((l) => l.pack === 'hello-universe')?.presets, ['enable-api']);

    await page.getByRole('tab', { name: /Revisions/ }).click();
    const diff = page.getByTestId('revision-diff');
    await diff.waitFor();
    assert.match(await diff.innerText(), /r1 → r2/);
    assert.match(await diff.innerText(), /\+enable-api/);
    await diff.locator('.cm-mergeView').waitFor();
    await browser.screenshot('08-revision-diff');
  });

  it('disables operator controls for a viewer, with the reason on hover', async (t) => {
    if (!requireOrSkip(t, 'Chromium', missing)) return;
    const created = await fx.api<{ token: string }>('POST', '/v1/tokens', {
      name: 'web-viewer',
      role: 'viewer',
    });
    const { page } = browser;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').fill(created.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('viewer', { exact: true }).waitFor();
    await page.getByRole('link', { name: 'Clusters' }).click();
    const create = page.getByRole('button', { name: 'New cluster' });
    assert.equal(await create.isDisabled(), true);
    assert.equal(await create.getAttribute('title'), 'Needs the operator role; you are signed in as viewer.');
    await page.goto(`${fx.url}#/profiles/hello-universe-aws/versions/1.0.0`);
    const newVersion = page.getByRole('button', { name: 'New version…' });
    await newVersion.waitFor();
    assert.equal(await newVersion.isDisabled(), true);
    await browser.screenshot('09-viewer-profile');
  });

  it('shows an API error as a readable message with its code', async (t) => {
    if (!requireOrSkip(t, 'Chromium', missing)) return;
    const { page } = browser;
    await page.goto(`${fx.url}#/profiles/no-such-profile`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /Profile no-such-profile not found/);
    assert.match(await alert.innerText(), /NotFound/);
    await browser.screenshot('10-not-found-error');
  });
});
