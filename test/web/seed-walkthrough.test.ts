/**
 * The seed walkthrough clicked through in real Chromium against a running Strata with the real engine: create a
 * cluster from 1.0.0 in the console, watch it reach Running live, switch it to 1.1.0 with the version selector
 * → Review & Save → change summary → merge editor → Apply, find the new pods next to the old one in Workloads,
 * the old Deployment and Service under Unused resources, then preview the prune and prune them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { requireOrSkip } from '../support/requirements.ts';
import { chromiumMissing, launchBrowser, type TestBrowser } from './browser.ts';
import { type ConsoleFixture, signIn, startConsoleFixture } from './fixture.ts';

const NAME = 'web-seed';
const ENGINE_WAIT = 120_000;

describe('web console: the seed walkthrough', () => {
  let fx: ConsoleFixture;
  let browser: TestBrowser;
  const missing = chromiumMissing();

  before(async () => {
    if (missing) return;
    fx = await startConsoleFixture({ withEngine: true });
    browser = await launchBrowser();
    browser.page.setDefaultTimeout(60_000);
  });
  after(async () => {
    await browser?.close();
    await fx?.close();
  });

  it('creates the cluster from 1.0.0 and sees it reach Running live', async (t) => {
    if (!requireOrSkip(t, 'Chromium', missing)) return;
    const { page } = browser;
    await signIn(page, fx.url, fx.strata.adminToken);
    await page.getByRole('button', { name: 'New cluster' }).click();
    const dialog = page.getByRole('dialog');
    // Keyboard only: the name field has the focus, typing in a later field keeps it there, Enter creates.
    await page.keyboard.type(NAME);
    assert.equal(await dialog.getByLabel('Name').inputValue(), NAME);
    await dialog.getByLabel('Profile version').selectOption('hello-universe-aws@1.0.0');
    await dialog.getByLabel('Workers').focus();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('2');
    assert.equal(
      await dialog.getByLabel('Workers').evaluate((el) => el === el.ownerDocument.activeElement),
      true,
      'typing does not move the focus',
    );
    await browser.screenshot('11-create-cluster-dialog');
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`#/clusters/${NAME}`));
    // The page is not reloaded: the phase moves to Running over server-sent events.
    await page.locator('.page-header h1 .phase', { hasText: 'Running' }).waitFor({ timeout: ENGINE_WAIT });
    await page.getByText('hello-universe-aws@1.0.0').first().waitFor();
    await browser.screenshot('12-cluster-running-overview');
  });

  it('switches to 1.1.0: Review & Save, change summary, merge editor, Apply', async (t) => {
    if (!requireOrSkip(t, 'Chromium', missing)) return;
    const { page } = browser;
    await page.getByRole('tab', { name: /Profile/ }).click();
    const select = page.getByLabel('Version of hello-universe-aws');
    await select.selectOption('1.1.0');
    await page.getByRole('button', { name: 'Review & Save' }).click();

    const summary = page.getByTestId('change-summary');
    await summary.waitFor();
    const text = await summary.innerText();
    assert.match(text, /enable-api/, 'the summary names the preset that changes');
    assert.match(
      await summary.getByTestId('plan-unused').innerText(),
      /Deployment hello-universe\/hello-universe-deployment[\s\S]*Service hello-universe\/hello-universe-service/,
      'the summary names the objects left unused',
    );
    assert.doesNotMatch(text, /replaces the nodes/, 'this switch needs no repave');
    await browser.screenshot('13-change-summary');

    await summary.getByRole('button', { name: 'Review changes in editor' }).click();
    const editor = page.getByTestId('review-editor');
    await editor.waitFor();
    await editor.getByRole('button', { name: /hello-universe/ }).click();
    const current = editor.getByLabel('hello-universe: current configuration');
    const pending = editor.getByLabel('hello-universe: pending configuration');
    await pending.waitFor();
    assert.equal(await current.getAttribute('contenteditable'), 'false', 'current (left) is read-only');
    assert.equal(await pending.getAttribute('contenteditable'), 'true', 'pending (right) is editable');
    assert.match(await pending.innerText(), /api/, 'the pending side carries the API values');
    const [left, right] = await Promise.all([current.boundingBox(), pending.boundingBox()]);
    assert.ok(left && right && left.x < right.x, 'current is on the left, pending on the right');
    await browser.screenshot('14-merge-editor');

    await editor.getByRole('button', { name: 'Apply changes' }).click();
    const progress = page.getByTestId('apply-progress');
    await progress.waitFor();
    await progress.getByText(/Applied: .* runs hello-universe-aws@1\.1\.0/).waitFor({ timeout: ENGINE_WAIT });
    await browser.screenshot('15-applied');
  });

  it('shows the new api, postgres and ui pods next to the old hello-universe pod in Workloads', async (t) => {
    if (!requireOrSkip(t, 'Chromium', missing)) return;
    const { page } = browser;
    await page.getByRole('tab', { name: /Workloads/ }).click();
    const pods = page.getByTestId('pods-hello-universe');
    const names = async () =>
      (await pods.locator('td.cell-name').allInnerTexts()).map((n) =>
        n.replace(/-[a-z0-9]+-[a-z0-9]{5}$/, ''),
      );
    await pods.waitFor();
    // Pods start a moment after the update is applied: refresh until all four are listed.
    const deadline = Date.now() + ENGINE_WAIT;
    while ((await names()).sort().join(',') !== 'api,hello-universe-deployment,postgres,ui') {
      assert.ok(Date.now() < deadline, `pods listed: ${(await names()).join(', ')}`);
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.waitForTimeout(500);
    }
    assert.match(await pods.innerText(), /containerd:\/\//, 'container IDs are shown');
    await browser.screenshot('16-workloads');
  });

  it('lists the old Deployment and Service as unused, previews the prune and prunes them', async (t) => {
    if (!requireOrSkip(t, 'Chromium', missing)) return;
    const { page } = browser;
    await page.getByRole('tab', { name: /Unused resources/ }).click();
    const table = page.getByTestId('unused');
    await table.waitFor();
    const rows = await table.locator('tbody tr').allInnerTexts();
    assert.equal(rows.length, 2);
    assert.ok(rows.some((r) => /Deployment[\s\S]*hello-universe-deployment/.test(r)));
    assert.ok(rows.some((r) => /Service[\s\S]*hello-universe-service/.test(r)));
    await browser.screenshot('17-unused-resources');

    await page.getByRole('button', { name: /Prune all \(2\)/ }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Deployment hello-universe/hello-universe-deployment').waitFor();
    await dialog.getByText('Service hello-universe/hello-universe-service').waitFor();
    await browser.screenshot('18-prune-preview');
    await dialog.getByRole('button', { name: 'Delete 2 object(s)' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: 'Pruned 2 object(s)' })
      .waitFor({ timeout: ENGINE_WAIT });
    await page.getByText('Nothing unused').waitFor({ timeout: ENGINE_WAIT });
    await browser.screenshot('19-pruned');

    await page.getByRole('tab', { name: /Workloads/ }).click();
    const pods = page.getByTestId('pods-hello-universe');
    await pods.waitFor();
    const deadline = Date.now() + ENGINE_WAIT;
    while (/hello-universe-deployment/.test(await pods.innerText())) {
      assert.ok(Date.now() < deadline, 'the old pod disappears after the prune');
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.waitForTimeout(500);
    }
  });
});
