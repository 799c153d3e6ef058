/**
 * Console benchmark: the clusters page in real Chromium with 100,000 clusters stored — time from navigation
 * start to the first rows with their count (median of 5 fresh loads), and how long each filter change takes
 * until the page shows its answer (median of 5): health and phase selects, a label selector and a name search
 * typed into the search box (with the page's 200 ms typing pause, and sent at once with Enter), and reversing
 * the name order.
 * Goals (issue 24): interactive < 1 s, a filter change < 300 ms. The fleet is stored straight into the store
 * (not provisioned); the server has no engine. `STRATA_BENCH_DRIVERS` picks the stores (default both),
 * `STRATA_BENCH_SCALE` scales the fleet. Needs Debian's Chromium (/usr/bin/chromium).
 */
import { dropSchema, uniqueSchemaName } from '../test/support/postgres.ts';
import { chromiumMissing, launchBrowser } from '../test/web/browser.ts';
import { type ConsoleFixture, signIn, startConsoleFixture } from '../test/web/fixture.ts';
import {
  countLine,
  fleetCount,
  fleetName,
  fleetState,
  seedFleet,
  timeChange,
  timeToInteractive,
} from '../test/web/fleet-page.ts';
import { benchDatabaseUrl, benchDrivers, postgresReachable, reportFigure, scaled } from './report.ts';

const TRIES = 5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function benchDriver(driver: 'pglite' | 'postgres'): Promise<void> {
  const fleet = scaled(100_000);
  const schema = uniqueSchemaName('bench_console');
  let fx: ConsoleFixture | undefined;
  const browser = await launchBrowser();
  try {
    fx = await startConsoleFixture({
      withEngine: false,
      ...(driver === 'postgres' ? { postgres: { databaseUrl: benchDatabaseUrl, schema } } : {}),
    });
    const seedMs = await seedFleet(fx.strata.store, fleet);
    console.log(`  ${driver}: stored ${fleet} clusters in ${(seedMs / 1000).toFixed(1)} s`);
    const { page } = browser;
    page.setDefaultTimeout(120_000);
    await signIn(page, fx.url, fx.strata.adminToken);
    await timeToInteractive(page, fx.url, fleet);
    const loads: number[] = [];
    for (let i = 0; i < TRIES; i++) loads.push(await timeToInteractive(page, fx.url, fleet));
    const search = page.getByLabel('Search clusters');
    const all = { first: fleetName(0), count: countLine(fleet, false) };
    const degraded = fleetCount(fleet, (i) => fleetState(i).health === 'Degraded');
    const updating = fleetCount(fleet, (i) => fleetState(i).phase === 'Updating');
    const apProd = fleetCount(fleet, (i) => i % 4 === 2 && i % 10 === 0);
    const changes: Record<string, { on: () => Promise<unknown>; shows: { first: string; count: string } }> = {
      health: {
        on: () => page.getByLabel('Health').selectOption('Degraded'),
        shows: { first: fleetName(1), count: countLine(degraded, true) },
      },
      phase: {
        on: () => page.getByLabel('Phase').selectOption('Updating'),
        shows: { first: fleetName(7), count: countLine(updating, true) },
      },
      selector: {
        on: () => search.fill('region=ap-south,tier=prod'),
        shows: { first: fleetName(10), count: countLine(apProd, true) },
      },
      search: {
        on: () => search.fill(fleetName(77_777 % fleet)),
        shows: { first: fleetName(77_777 % fleet), count: countLine(1, true) },
      },
      selectorEnter: {
        on: async () => {
          await search.fill('region=ap-south,tier=prod');
          await search.press('Enter');
        },
        shows: { first: fleetName(10), count: countLine(apProd, true) },
      },
      searchEnter: {
        on: async () => {
          await search.fill(fleetName(77_777 % fleet));
          await search.press('Enter');
        },
        shows: { first: fleetName(77_777 % fleet), count: countLine(1, true) },
      },
      sort: {
        on: () => page.getByRole('button', { name: /Sort by name/ }).click(),
        shows: { first: fleetName(fleet - 1), count: countLine(fleet, false) },
      },
    };
    const figures: Record<string, number> = {};
    for (const [name, change] of Object.entries(changes)) {
      const times: number[] = [];
      for (let i = 0; i < TRIES; i++) {
        await page.goto(`${fx.url}#/clusters`);
        await timeChange(page, async () => {}, all);
        times.push(await timeChange(page, change.on, change.shows));
      }
      figures[name] = median(times);
    }
    reportFigure(
      `console.fleet.${driver}`,
      {
        clusters: fleet,
        interactiveMs: median(loads),
        goalInteractiveMs: 1000,
        goalChangeMs: 300,
        ...figures,
      },
      `fleet page with ${fleet} clusters on ${driver}: interactive ${median(loads)} ms (goal < 1,000; loads ${loads.join(', ')}); filter change (median of ${TRIES}, goal < 300): health ${figures.health} ms, phase ${figures.phase} ms, label selector ${figures.selector} ms and name search ${figures.search} ms (each with the 200 ms typing pause; ${figures.selectorEnter} and ${figures.searchEnter} ms when Enter sends them at once), reverse order ${figures.sort} ms`,
    );
  } finally {
    await browser.close();
    await fx?.close();
    if (driver === 'postgres') await dropSchema(schema);
  }
}

const missing = chromiumMissing();
if (missing) {
  console.log(`  console benchmark skipped: ${missing}`);
} else {
  for (const driver of benchDrivers) {
    if (driver === 'postgres' && !(await postgresReachable())) {
      console.log(`  postgres: skipped, ${benchDatabaseUrl} is not reachable`);
      continue;
    }
    await benchDriver(driver as 'pglite' | 'postgres');
  }
}
