/**
 * A viewer token in real Chromium: it reads a cluster's profile, overrides, nodes and unused resources but
 * every control that changes something is disabled with the reason on hover, and the API refuses the change
 * with 403 when the browser sends it anyway. The cluster is stored directly (no engine needed to read it).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ClusterSpec } from '../../src/core/model.ts';
import { createClusters } from '../../src/store/clusters.ts';
import { requireOrSkip } from '../support/requirements.ts';
import { chromiumMissing, type InPage, launchBrowser, type TestBrowser } from './browser.ts';
import { type ConsoleFixture, signIn, startConsoleFixture } from './fixture.ts';

const NAME = 'viewer-sees';
const REASON = 'Needs the operator role; you are signed in as viewer.';

describe('web console: a viewer cannot apply', () => {
  let fx: ConsoleFixture;
  let browser: TestBrowser;
  let viewerToken = '';
  const missing = chromiumMissing();

  before(async () => {
    if (missing) return;
    fx = await startConsoleFixture({ withEngine: false });
    const attached = { name: 'hello-universe-aws', version: '1.0.0', revision: 1 };
    const spec: ClusterSpec = {
      name: NAME,
      cloudType: 'sim',
      profiles: [attached],
      overrides: {},
      pools: [],
      settings: { repave: 'manual', prune: false, selfHeal: true },
      labels: { team: 'web' },
    };
    await createClusters(fx.strata.store.db, { actor: 'test' }, [spec], {
      phase: 'Running',
      health: 'Healthy',
      observedGeneration: 1,
      appliedProfiles: [attached],
      kubernetesVersion: '1.30.10',
    });
    viewerToken = (
      await fx.api<{ token: string }>('POST', '/v1/tokens', { name: 'web-viewer', role: 'viewer' })
    ).token;
    browser = await launchBrowser();
    browser.page.setDefaultTimeout(60_000);
  });
  after(async () => {
    await browser?.close();
    await fx?.close();
  });

  it('shows the version selector and Review & Save disabled, with the reason on hover', async (t) => {
    if (!requireOrSkip(t, 'Chromium', missing)) return;
    const { page } = browser;
    await signIn(page, fx.url, viewerToken);
    await page.getByRole('link', { name: NAME }).click();
    await page.getByRole('tab', { name: /Profile/ }).click();
    const select = page.getByLabel('Version of hello-universe-aws');
    await select.waitFor();
    assert.equal(await select.isDisabled(), true);
    assert.equal(await select.getAttribute('title'), REASON);
    const review = page.getByRole('button', { name: 'Review & Save' });
    assert.equal(await review.isDisabled(), true);
    assert.equal(await review.getAttribute('title'), REASON);
    await review.hover({ force: true });
    await browser.screenshot('30-viewer-profile-tab');
    // A viewer downloads the read-only kubeconfig, never the admin one.
    await page.getByRole('button', { name: 'Read-only kubeconfig' }).waitFor();
  });

  it('keeps the Overrides editor read-only and its save disabled', async (t) => {
    if (!requireOrSkip(t, 'Chromium', missing)) return;
    const { page } = browser;
    // Keyboard: the arrow keys move between the cluster's tabs (and open them).
    await page.getByRole('tab', { name: /Profile/ }).focus();
    await page.keyboard.press('ArrowRight');
    await page.waitForURL(/#\/clusters\/viewer-sees\/overrides/);
    await page
      .getByRole('tab', { name: /Overrides/ })
      .and(page.locator(':focus'))
      .waitFor();
    await page
      .getByRole('navigation', { name: 'Layers' })
      .getByRole('button', { name: 'hello-universe' })
      .click();
    const editor = page.getByLabel(`hello-universe values for ${NAME}`);
    await editor.waitFor();
    assert.equal(await editor.getAttribute('contenteditable'), 'false');
    const review = page.getByRole('button', { name: 'Review & Save' });
    assert.equal(await review.isDisabled(), true);
    assert.equal(await review.getAttribute('title'), REASON);
    await browser.screenshot('31-viewer-overrides');
  });

  it('is refused with 403 by the API when the browser forces an apply', async (t) => {
    if (!requireOrSkip(t, 'Chromium', missing)) return;
    const { page } = browser;
    // The request the Apply button would send, sent from the page with the signed-in (viewer) token.
    const answer = (await page.evaluate(async (name) => {
      const w = globalThis as unknown as InPage;
      const token = w.localStorage.getItem('strata.token');
      const response = await w.fetch(`/v1/clusters/${name}/update`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ kind: 'profiles', profiles: ['hello-universe-aws@1.1.0'] }),
      });
      return { status: response.status, body: await response.json() };
    }, NAME)) as { status: number; body: { code: string; message: string } };
    assert.equal(answer.status, 403);
    assert.equal(answer.body.code, 'Forbidden');
    const stored = await fx.api<{ spec: { profiles: Array<{ version: string }> } }>(
      'GET',
      `/v1/clusters/${NAME}`,
    );
    assert.equal(stored.spec.profiles[0]?.version, '1.0.0', 'nothing changed');
  });
});
