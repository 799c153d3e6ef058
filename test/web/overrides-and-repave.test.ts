/**
 * Cluster changes beyond the seed, clicked through in real Chromium against the real engine on the demo
 * cluster (`cluster-update-deletion`, created from 1.0.0 by `--demo`): an override set on the Overrides tab and
 * kept through a switch to 1.1.0 by the 3-way merge, then an OS change (a profile version with Ubuntu 24.4.1)
 * that puts a repave Pending with its reasons and strategy, approved from the Nodes tab, after which every node
 * is new and runs the new OS image.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { DEMO_CLUSTER, demoProfileDocument } from '../../src/main/demo.ts';
import { requireOrSkip } from '../support/requirements.ts';
import { chromiumMissing, launchBrowser, type TestBrowser } from './browser.ts';
import { type ConsoleFixture, signIn, startConsoleFixture } from './fixture.ts';

const ENGINE_WAIT = 150_000;
const NAME = DEMO_CLUSTER;

interface ClusterJson {
  spec: { overrides: Record<string, { values: string }>; profiles: Array<{ version: string }> };
  status: { phase: string; observedGeneration: number; repave: { state: string } };
  generation: number;
}

describe('web console: an override kept through a version switch, and a repave approved', () => {
  let fx: ConsoleFixture;
  let browser: TestBrowser;
  const missing = chromiumMissing();

  /** The cluster's nodes as its own Kubernetes API reports them: name → OS image. */
  const nodes = async (): Promise<Map<string, string>> => {
    const config = new KubeConfig();
    config.loadFromString(await fx.strata.engine!.kubeconfig(NAME, 'admin'));
    const list = await config.makeApiClient(CoreV1Api).listNode();
    return new Map(list.items.map((n) => [n.metadata!.name!, n.status?.nodeInfo?.osImage ?? '']));
  };
  const cluster = () => fx.api<ClusterJson>('GET', `/v1/clusters/${NAME}`);

  before(async () => {
    if (missing) return;
    fx = await startConsoleFixture({ withEngine: true });
    // 1.2.0: 1.1.0 on Ubuntu 24.04.1 — an OS change, so applying it replaces every node.
    const doc = demoProfileDocument('1.2.0', true);
    doc.layers[0] = { pack: 'ubuntu', version: '24.4.1' };
    doc.description = 'Hello Universe with its API, on Ubuntu 24.04.1.';
    await fx.api('POST', '/v1/profiles', doc);
    browser = await launchBrowser();
    browser.page.setDefaultTimeout(60_000);
  });
  after(async () => {
    await browser?.close();
    await fx?.close();
  });

  it('sets an override on hello-universe from the Overrides tab', async (t) => {
    if (!requireOrSkip(t, 'Chromium', missing)) return;
    const { page } = browser;
    await signIn(page, fx.url, fx.strata.adminToken);
    await page.goto(`${fx.url}#/clusters/${NAME}/overrides`);
    await page.locator('.page-header h1 .phase', { hasText: 'Running' }).waitFor({ timeout: ENGINE_WAIT });
    await page
      .getByRole('navigation', { name: 'Layers' })
      .getByRole('button', { name: 'hello-universe' })
      .click();
    const editor = page.getByLabel(`hello-universe values for ${NAME}`);
    await editor.locator('.cm-line', { hasText: 'replicas: 1' }).first().click();
    await page.keyboard.press('End');
    await page.keyboard.press('Backspace');
    await page.keyboard.type('3');
    await page.getByRole('button', { name: 'Review & Save' }).click();
    const plan = page.getByTestId('plan-summary');
    await plan.waitFor();
    assert.match(await plan.innerText(), /helloUniverse\.ui\.replicas\s+1\s*→\s*3/);
    await browser.screenshot('20-override-plan');
    await page.getByRole('button', { name: 'Save override' }).click();
    await page.getByText('this cluster overrides the profile here').waitFor();
    const saved = await cluster();
    assert.match(saved.spec.overrides['hello-universe']?.values ?? '', /replicas: 3/);
    await page.locator('.page-header h1 .phase', { hasText: 'Running' }).waitFor({ timeout: ENGINE_WAIT });
    await browser.screenshot('21-override-saved');
  });

  it('keeps the override through the switch to 1.1.0 (3-way merge)', async (t) => {
    if (!requireOrSkip(t, 'Chromium', missing)) return;
    const { page } = browser;
    await page.getByRole('tab', { name: /Profile/ }).click();
    await page.getByLabel('Version of hello-universe-aws').selectOption('1.1.0');
    await page.getByRole('button', { name: 'Review & Save' }).click();
    const summary = page.getByTestId('change-summary');
    await summary.getByText('override kept').waitFor();
    await summary.getByRole('button', { name: 'Review changes in editor' }).click();
    const editor = page.getByTestId('review-editor');
    await editor.getByRole('button', { name: /hello-universe/ }).click();
    await editor
      .getByText("This cluster's overrides on hello-universe are kept by the 3-way merge.")
      .waitFor();
    const pending = editor.getByLabel('hello-universe: pending configuration');
    assert.match(await pending.innerText(), /replicas: 3/, 'the pending values keep the override');
    assert.match(await pending.innerText(), /api:/, 'and carry the new version’s API section');
    await browser.screenshot('22-override-kept-in-editor');
    await editor.getByRole('button', { name: 'Apply changes' }).click();
    await page
      .getByTestId('apply-progress')
      .getByText(/Applied: .* runs hello-universe-aws@1\.1\.0/)
      .waitFor({ timeout: ENGINE_WAIT });
    const applied = await cluster();
    assert.equal(applied.spec.profiles[0]?.version, '1.1.0');
    assert.match(applied.spec.overrides['hello-universe']?.values ?? '', /replicas: 3/);
    // The running cluster has three UI pods.
    await page.getByRole('tab', { name: /Workloads/ }).click();
    await page.getByRole('tab', { name: 'Deployments' }).click();
    const deadline = Date.now() + ENGINE_WAIT;
    const uiRow = page.locator('tr', { has: page.locator('td.cell-name', { hasText: /^ui$/ }) });
    while (!/3\/3/.test((await uiRow.allInnerTexts()).join(''))) {
      assert.ok(Date.now() < deadline, `ui deployment: ${(await uiRow.allInnerTexts()).join('')}`);
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.waitForTimeout(500);
    }
    await browser.screenshot('23-override-three-ui-pods');
  });

  it('approves a repave from the Nodes tab; the nodes are replaced with the new OS image', async (t) => {
    if (!requireOrSkip(t, 'Chromium', missing)) return;
    const { page } = browser;
    const before = await nodes();
    assert.ok(
      [...before.values()].every((os) => /22\.04/.test(os)),
      [...before.values()].join(', '),
    );

    await page.getByRole('tab', { name: /Profile/ }).click();
    await page.getByLabel('Version of hello-universe-aws').selectOption('1.2.0');
    await page.getByRole('button', { name: 'Review & Save' }).click();
    const warning = page.getByTestId('change-summary').getByTestId('repave-warning');
    await warning.waitFor();
    assert.match(await warning.innerText(), /approve the repave on the Nodes tab/);
    await browser.screenshot('24-repave-plan');
    await page.getByTestId('change-summary').getByRole('button', { name: 'Apply changes' }).click();
    await page
      .getByTestId('apply-progress')
      .getByRole('link', { name: /approve it on the Nodes tab/ })
      .click();

    const repave = page.getByTestId('repave');
    await repave.locator('.badge', { hasText: 'Pending' }).waitFor({ timeout: ENGINE_WAIT });
    const text = await repave.innerText();
    assert.match(text, /ubuntu: 22\.4\.5 → 24\.4\.1/, 'the reason names the OS change');
    assert.match(text, /control-plane/);
    assert.match(text, /workers/);
    assert.match(
      await page.getByTestId('pools').innerText(),
      /expand first/,
      'each pool’s strategy is shown',
    );
    await browser.screenshot('25-repave-pending');
    await repave.getByRole('button', { name: 'Approve repave' }).click();
    await repave.locator('.badge', { hasText: /Approved|InProgress/ }).waitFor();
    await browser.screenshot('26-repave-in-progress');
    await repave.getByText('No node replacement is pending.').waitFor({ timeout: ENGINE_WAIT * 2 });
    await page.locator('.page-header h1 .phase', { hasText: 'Running' }).waitFor({ timeout: ENGINE_WAIT });
    // The Nodes tab tells the story: every old node deleted, new ones created on the new OS image.
    const events = page.getByTestId('filtered-events');
    await events.getByText('RepaveCompleted').waitFor();
    const log = await events.innerText();
    assert.equal((log.match(/NodeDeleted/g) ?? []).length, 3, log);
    assert.equal((log.match(/created \(Ubuntu 24\.04/g) ?? []).length, 3, log);
    assert.match(log, /RepaveCompleted/);
    // The node table (from /v1/clusters/{name}/nodes) lists the new nodes with their OS image.
    await page.reload();
    const table = page.locator('section.card', { has: page.getByRole('heading', { name: 'Nodes' }) });
    await table.locator('tbody tr').first().waitFor();
    const rows = await table.locator('tbody tr').allInnerTexts();
    assert.equal(rows.length, 3, rows.join('\n'));
    assert.ok(
      rows.every((r) => /Ready/.test(r) && /24\.04/.test(r)),
      rows.join('\n'),
    );
    await browser.screenshot('27-repave-done');

    const after = await nodes();
    assert.equal(after.size, before.size, 'the same number of nodes');
    for (const name of after.keys()) assert.ok(!before.has(name), `node ${name} is new`);
    assert.ok(
      [...after.values()].every((os) => /24\.04/.test(os)),
      [...after.values()].join(', '),
    );
  });
});
