/**
 * The fleet page at scale, shared by the browser test (10,000 clusters) and the console benchmark (100,000):
 * a fleet seeded straight into the store in batches (not provisioned) with a known mix of phases, health and
 * labels, and measurements taken inside the page on every animation frame, so a figure is the frame a user
 * would see the answer in.
 */
import type { Page } from 'playwright-core';
import type { ClusterHealth, ClusterPhase, ClusterSpec } from '../../src/core/model.ts';
import { createClusters } from '../../src/store/clusters.ts';
import type { Store } from '../../src/store/open.ts';
import type { InPage } from './browser.ts';

export const REGIONS = ['eu-west', 'us-east', 'ap-south', 'sa-east'] as const;

/** The name of the i-th cluster of the fleet. */
export function fleetName(i: number): string {
  return `fleet-${String(i).padStart(6, '0')}`;
}

/** The i-th cluster's phase and health: every 50th Degraded, every 100th (from 7) Updating. */
export function fleetState(i: number): { phase: ClusterPhase; health: ClusterHealth } {
  return { phase: i % 100 === 7 ? 'Updating' : 'Running', health: i % 50 === 1 ? 'Degraded' : 'Healthy' };
}

function fleetSpec(i: number): ClusterSpec {
  return {
    name: fleetName(i),
    cloudType: 'sim',
    profiles: [{ name: 'hello-universe-aws', version: i % 3 === 0 ? '1.1.0' : '1.0.0', revision: 1 }],
    overrides: {},
    pools: [],
    settings: { repave: 'manual', prune: false, selfHeal: true },
    labels: { region: REGIONS[i % REGIONS.length]!, tier: i % 10 === 0 ? 'prod' : 'dev' },
  };
}

/** Stores `size` clusters in batches of 2,000, each batch's clusters grouped by phase, health and version. */
export async function seedFleet(store: Store, size: number): Promise<number> {
  const started = performance.now();
  for (let from = 0; from < size; from += 2000) {
    const groups = new Map<string, ClusterSpec[]>();
    for (let i = from; i < Math.min(size, from + 2000); i++) {
      const spec = fleetSpec(i);
      const key = JSON.stringify({ ...fleetState(i), version: spec.profiles[0]!.version });
      groups.set(key, [...(groups.get(key) ?? []), spec]);
    }
    for (const [key, specs] of groups) {
      const state = JSON.parse(key) as { phase: ClusterPhase; health: ClusterHealth };
      // As the engine leaves a reconciled cluster: the spec's generation observed, its profiles applied.
      await createClusters(store.db, { actor: 'test' }, specs, {
        phase: state.phase,
        health: state.health,
        kubernetesVersion: '1.30.10',
        observedGeneration: 1,
        appliedProfiles: specs[0]!.profiles,
      });
    }
  }
  return Math.round(performance.now() - started);
}

/** How many of the first `size` clusters satisfy `pick`. */
export function fleetCount(size: number, pick: (i: number) => boolean): number {
  let n = 0;
  for (let i = 0; i < size; i++) if (pick(i)) n++;
  return n;
}

/** The count line the page shows for `n` clusters (`matching` when a filter is on). */
export function countLine(n: number, filtered: boolean): string {
  return `${n.toLocaleString('en-US')} ${filtered ? 'matching ' : ''}cluster${n === 1 ? '' : 's'}`;
}

/**
 * Waits, frame by frame in the page, until the first row's name is `first` and the count line reads `count`,
 * and returns the page's clock then (ms since navigation start), or -1 after `timeoutMs`.
 */
export async function frameWhen(
  page: Page,
  expected: { first?: string; count?: string },
  timeoutMs = 60_000,
): Promise<number> {
  return page.evaluate(
    async ({ first, count, timeoutMs }) => {
      const w = globalThis as unknown as InPage;
      const until = w.performance.now() + timeoutMs;
      for (;;) {
        const row = w.document.querySelector('[data-testid="clusters-table"] .vrow .cell-name');
        const line = w.document.querySelector('[data-testid="cluster-count"]');
        const search = w.document.querySelector('input[aria-label="Search clusters"]');
        if (
          search &&
          !search.disabled &&
          (first === undefined || row?.textContent === first) &&
          (count === undefined || line?.textContent === count)
        )
          return w.performance.now();
        if (w.performance.now() > until) return -1;
        await new Promise<void>((resolve) => w.requestAnimationFrame(resolve));
      }
    },
    { ...expected, timeoutMs },
  );
}

/** Loads the fleet page afresh and returns ms from navigation start to its first rows, count and search. */
export async function timeToInteractive(page: Page, url: string, size: number): Promise<number> {
  await page.goto('about:blank');
  await page.goto(`${url}#/clusters`, { waitUntil: 'commit' });
  const at = await frameWhen(page, { first: fleetName(0), count: countLine(size, false) });
  if (at < 0) throw new Error('the fleet page showed no rows within a minute');
  return Math.round(at);
}

/** Runs `change` (a filter, a search, a sort) and returns ms until the page shows `expected`. */
export async function timeChange(
  page: Page,
  change: () => Promise<unknown>,
  expected: { first?: string; count?: string },
): Promise<number> {
  const before = await page.evaluate(() => (globalThis as unknown as InPage).performance.now());
  await change();
  const at = await frameWhen(page, expected);
  if (at < 0) {
    const shown = await page.evaluate(() => {
      const w = globalThis as unknown as InPage;
      const row = w.document.querySelector('[data-testid="clusters-table"] .vrow .cell-name');
      return {
        first: row?.textContent,
        count: w.document.querySelector('[data-testid="cluster-count"]')?.textContent,
      };
    });
    throw new Error(
      `the fleet page never showed ${JSON.stringify(expected)}; it shows ${JSON.stringify(shown)}`,
    );
  }
  return Math.round(at - before);
}
