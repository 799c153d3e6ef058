/**
 * Fleet rollouts in real Chromium against the real engine: preview the waves of hello-universe-aws 1.0.0 → 1.1.0
 * over two labelled clusters (canary first), start it, watch it live, pause and resume it while it soaks, and
 * see it complete; then a rollout over a cluster that cannot become healthy halts and says why.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ClusterSpec } from '../../src/core/model.ts';
import { createClusters } from '../../src/store/clusters.ts';
import { requireOrSkip } from '../support/requirements.ts';
import { chromiumMissing, launchBrowser, type TestBrowser } from './browser.ts';
import { type ConsoleFixture, signIn, startConsoleFixture } from './fixture.ts';

const ENGINE_WAIT = 180_000;
const REAL = ['roll-a', 'roll-b'];

interface ClusterJson {
  status: { phase: string; observedGeneration: number; appliedProfiles: Array<{ version: string }> };
  generation: number;
}

describe('web console: rollouts', () => {
  let fx: ConsoleFixture;
  let browser: TestBrowser;
  const missing = chromiumMissing();

  const waitRunning = async (name: string, version: string) => {
    const deadline = Date.now() + ENGINE_WAIT;
    for (;;) {
      const c = await fx.api<ClusterJson>('GET', `/v1/clusters/${name}`);
      if (
        c.status.phase === 'Running' &&
        c.status.observedGeneration >= c.generation &&
        c.status.appliedProfiles[0]?.version === version
      )
        return;
      assert.ok(Date.now() < deadline, `${name} reaches Running on ${version}: ${JSON.stringify(c.status)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  };

  before(async () => {
    if (missing) return;
    fx = await startConsoleFixture({ withEngine: true });
    for (const name of REAL) {
      await fx.api('POST', '/v1/clusters', {
        name,
        profiles: ['hello-universe-aws@1.0.0'],
        controlPlane: 1,
        workers: 1,
        labels: { ring: 'real' },
      });
    }
    // A cluster known to the store but with no infrastructure behind it: it can never pass a health gate.
    const ghost: ClusterSpec = {
      name: 'ghost-1',
      cloudType: 'sim',
      profiles: [{ name: 'hello-universe-aws', version: '1.0.0', revision: 1 }],
      overrides: {},
      pools: [],
      settings: { repave: 'manual', prune: false, selfHeal: true },
      labels: { ring: 'ghost' },
    };
    await createClusters(fx.strata.store.db, { actor: 'test' }, [ghost], {
      phase: 'Running',
      health: 'Healthy',
      observedGeneration: 1,
      appliedProfiles: ghost.profiles,
    });
    browser = await launchBrowser();
    browser.page.setDefaultTimeout(60_000);
  });
  after(async () => {
    await browser?.close();
    await fx?.close();
  });

  it('previews the waves, starts, pauses and resumes while soaking, and completes', async (t) => {
    if (!requireOrSkip(t, 'Chromium', missing)) return;
    for (const name of REAL) await waitRunning(name, '1.0.0');
    const { page } = browser;
    await signIn(page, fx.url, fx.strata.adminToken);
    await page.getByRole('link', { name: 'Rollouts' }).click();
    await page.getByText('No rollouts yet').waitFor();
    await page.getByLabel('From profile version').selectOption('hello-universe-aws@1.0.0');
    await page.getByLabel('To profile version').selectOption('hello-universe-aws@1.1.0');
    await page.getByLabel('Only clusters labelled').fill('ring=real');
    await page.getByLabel('Soak after each wave').fill('20');
    assert.equal(await page.getByLabel('Each next wave').inputValue(), '4', 'waves grow ×4 by default');
    await page.getByLabel('Each next wave').fill('2');
    const start = page.getByRole('button', { name: 'Start rollout' });
    assert.equal(await start.isDisabled(), true, 'a rollout starts only after its preview');
    const previewRequest = page.waitForRequest(
      (r) => r.url().endsWith('/v1/rollouts') && r.method() === 'POST',
    );
    await page.getByRole('button', { name: 'Preview waves' }).click();
    assert.equal((await previewRequest).postDataJSON().growth, 2, 'the preview asks for the growth set');
    const preview = page.getByTestId('rollout-preview');
    await preview.waitFor();
    const waves = await preview.getByTestId('preview-waves').innerText();
    assert.match(waves, /Wave 1 \(canary\)\s+1 cluster\(s\): roll-a/);
    assert.match(waves, /Wave 2\s+1 cluster\(s\): roll-b/);
    assert.match(await preview.innerText(), /2\s+will move/);
    await browser.screenshot('50-rollout-preview');

    await start.click();
    await page.waitForURL(/#\/rollouts\/[a-z0-9-]+$/);
    assert.equal(await start.isDisabled(), true, 'a started preview cannot be started twice');
    const detail = page.getByTestId('rollout-detail');
    // The canary turns healthy, then the rollout soaks before wave 2: pause it there.
    await detail.locator('.badge', { hasText: 'Soaking' }).waitFor({ timeout: ENGINE_WAIT });
    await detail.getByText(/soaking until/).waitFor();
    await browser.screenshot('51-rollout-soaking');
    await detail.getByRole('button', { name: 'Pause' }).click();
    await detail.locator('.card-header .badge', { hasText: 'Paused' }).waitFor();
    assert.equal(await detail.getByRole('button', { name: 'Resume' }).isDisabled(), false);
    await browser.screenshot('52-rollout-paused');
    await detail.getByRole('button', { name: 'Resume' }).click();
    await detail.locator('.card-header .badge', { hasText: 'Completed' }).waitFor({ timeout: ENGINE_WAIT });
    assert.match(await detail.innerText(), /2 of 2 clusters updated and healthy/);
    await browser.screenshot('53-rollout-completed');
    for (const name of REAL) await waitRunning(name, '1.1.0');
  });

  it('halts a rollout whose cluster cannot become healthy, and says why', async (t) => {
    if (!requireOrSkip(t, 'Chromium', missing)) return;
    const { page } = browser;
    await page.getByRole('link', { name: 'Rollouts' }).click();
    await page.getByLabel('From profile version').selectOption('hello-universe-aws@1.0.0');
    await page.getByLabel('To profile version').selectOption('hello-universe-aws@1.1.0');
    await page.getByLabel('Only clusters labelled').fill('ring=ghost');
    await page.getByLabel('Soak after each wave').fill('0');
    await page.getByLabel('Health deadline per cluster').fill('3');
    await page.getByRole('button', { name: 'Preview waves' }).click();
    await page
      .getByTestId('preview-waves')
      .getByText(/ghost-1/)
      .waitFor();
    await page.getByRole('button', { name: 'Start rollout' }).click();
    const detail = page.getByTestId('rollout-detail');
    await detail.locator('.card-header .badge', { hasText: 'Halted' }).waitFor({ timeout: ENGINE_WAIT });
    const reason = detail.getByTestId('halt-reason');
    assert.match(await reason.innerText(), /ghost-1/);
    await browser.screenshot('54-rollout-halted');
  });
});
