/**
 * A rollout over a seeded fleet of 10,000 clusters in real Chromium, against the real engine: one real cluster
 * (first in name order, so the canary) and 10,000 stored ones (6,667 of them on 1.0.0). The preview sums the
 * fleet up; the rollout's view summarises waves and failures and pages its members (by wave and state, 50 at a
 * time); Pause, Resume and Cancel act while the canary soaks, and a cancelled rollout starts no further wave.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { requireOrSkip } from '../support/requirements.ts';
import { chromiumMissing, type InPage, launchBrowser, type TestBrowser } from './browser.ts';
import { type ConsoleFixture, signIn, startConsoleFixture } from './fixture.ts';
import { fleetCount, seedFleet } from './fleet-page.ts';

const FLEET = 10_000;
const ENGINE_WAIT = 180_000;
const CANARY = 'aaa-canary';

interface ClusterJson {
  status: { phase: string; observedGeneration: number };
  generation: number;
}

interface RolloutJson {
  state: string;
  waveSizes: number[];
  waves: Array<{ wave: number; size: number; counts: Record<string, number> }>;
  counts: Record<string, number>;
}

describe('web console: a rollout over 10,000 clusters', () => {
  let fx: ConsoleFixture;
  let browser: TestBrowser;
  const missing = chromiumMissing();
  /** The clusters on 1.0.0: the seeded ones, the canary and the demo's own. */
  let moving = 0;

  before(async () => {
    if (missing) return;
    fx = await startConsoleFixture({ withEngine: true });
    await fx.api('POST', '/v1/clusters', {
      name: CANARY,
      profiles: ['hello-universe-aws@1.0.0'],
      controlPlane: 1,
      workers: 1,
    });
    console.log(`# seeded ${FLEET} clusters in ${await seedFleet(fx.strata.store, FLEET)} ms`);
    const deadline = Date.now() + ENGINE_WAIT;
    for (;;) {
      const c = await fx.api<ClusterJson>('GET', `/v1/clusters/${CANARY}`);
      if (c.status.phase === 'Running' && c.status.observedGeneration >= c.generation) break;
      assert.ok(Date.now() < deadline, `${CANARY} reaches Running: ${JSON.stringify(c.status)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const onSource = await fx.api<{ counts: { total: number } }>(
      'GET',
      '/v1/clusters?profile=hello-universe-aws%401.0.0&counts=phase&limit=1',
    );
    moving = onSource.counts.total;
    assert.ok(moving > fleetCount(FLEET, (i) => i % 3 !== 0), `${moving} clusters on 1.0.0`);
    browser = await launchBrowser();
    browser.page.setDefaultTimeout(90_000);
  });
  after(async () => {
    await browser?.close();
    await fx?.close();
  });

  it('previews, starts, pages members, pauses, resumes and cancels; no wave starts after Cancel', async (t) => {
    if (!requireOrSkip(t, 'Chromium', missing)) return;
    const { page } = browser;
    await signIn(page, fx.url, fx.strata.adminToken);
    await page.getByRole('link', { name: 'Rollouts' }).click();
    await page.getByLabel('From profile version').selectOption('hello-universe-aws@1.0.0');
    await page.getByLabel('To profile version').selectOption('hello-universe-aws@1.1.0');
    await page.getByLabel('Soak after each wave').fill('600');
    const previewStarted = performance.now();
    await page.getByRole('button', { name: 'Preview waves' }).click();
    const preview = page.getByTestId('rollout-preview');
    await preview.waitFor();
    const previewMs = Math.round(performance.now() - previewStarted);
    assert.match(
      await preview.getByTestId('preview-waves').innerText(),
      /Wave 1 \(canary\)\s+1 cluster\(s\): aaa-canary/,
    );
    assert.match(await preview.innerText(), new RegExp(`${moving.toLocaleString('en-US')}\\s+will move`));

    const started = performance.now();
    await page.getByRole('button', { name: 'Start rollout' }).click();
    await page.waitForURL(/#\/rollouts\/[a-z0-9-]+$/);
    const detail = page.getByTestId('rollout-detail');
    await detail.getByTestId('rollout-waves').waitFor();
    const startMs = Math.round(performance.now() - started);
    const id = page.url().split('/').pop()!;

    // Members: 50 at a time, filtered by wave on the server, "Show 50 more" for the next page.
    const members = detail.getByTestId('rollout-members');
    const rows = members.locator('tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 50, 'the first page of members is 50 rows, not the fleet');
    await members.getByRole('button', { name: 'Show 50 more' }).click();
    await rows.nth(99).waitFor();
    assert.equal(await rows.count(), 100);
    const view = await fx.api<RolloutJson>('GET', `/v1/rollouts/${id}?limit=1`);
    const last = view.waves[view.waves.length - 1]!;
    await members.getByLabel('Members of wave').selectOption(String(last.wave));
    await page.waitForFunction((wave) => {
      const doc = (globalThis as unknown as InPage).document;
      const cells = Array.from(
        doc.querySelectorAll('[data-testid="rollout-members"] tbody tr td:nth-child(2)'),
      );
      return cells.length > 0 && cells.every((cell) => cell.textContent === String(wave));
    }, last.wave);
    assert.equal(await rows.count(), Math.min(50, last.size));

    // The canary turns healthy and soaks: Pause, Resume, then Cancel.
    await detail.locator('.card-header .badge', { hasText: 'Soaking' }).waitFor({ timeout: ENGINE_WAIT });
    await browser.screenshot('54-rollout-10000-soaking');
    await detail.getByRole('button', { name: 'Pause' }).click();
    await detail.locator('.card-header .badge', { hasText: 'Paused' }).waitFor();
    await detail.getByRole('button', { name: 'Resume' }).click();
    await detail.locator('.card-header .badge', { hasText: 'Soaking' }).waitFor();
    await detail.getByRole('button', { name: 'Cancel' }).click();
    await detail.locator('.card-header .badge', { hasText: 'Cancelled' }).waitFor();
    await browser.screenshot('55-rollout-10000-cancelled');
    assert.match(
      await detail.innerText(),
      new RegExp(`1 of ${moving.toLocaleString('en-US')}|1 of ${moving} clusters`),
    );

    // Nothing moves after Cancel: the canary stays updated, every other member still waits.
    await new Promise((r) => setTimeout(r, 2000));
    const after = await fx.api<RolloutJson>('GET', `/v1/rollouts/${id}?limit=1`);
    assert.equal(after.state, 'Cancelled');
    assert.equal(after.counts.healthy, 1);
    assert.equal(after.counts.applying ?? 0, 0);
    assert.equal(after.counts.waiting, moving - 1);
    console.log(
      `# rollout over ${moving} of ${FLEET} clusters in the browser: preview ${previewMs} ms, start to its view ${startMs} ms`,
    );
  });
});
