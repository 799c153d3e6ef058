/**
 * Runs one repository test suite against both drivers: PGlite in memory (one instance per test file — its
 * start takes seconds) and the real PostgreSQL (one fresh schema per test file, dropped afterwards).
 */
import { after, before, describe, type TestContext } from 'node:test';
import { openStore, type Store, type StoreDriver } from '../../src/store/open.ts';
import { dropSchema, postgresUnavailableReason, testPostgresUrl, uniqueSchemaName } from './postgres.ts';
import { requireOrSkip } from './requirements.ts';

/** Returns the driver's store for a test, or undefined after skipping the test (PostgreSQL unavailable). */
export type StoreGetter = (t: TestContext) => Store | undefined;

/** Opens a store for `driver`: in-memory PGlite, or a fresh schema on the test PostgreSQL. */
export async function openTestStore(driver: StoreDriver, schema = uniqueSchemaName()): Promise<Store> {
  if (driver === 'pglite') return openStore({ memory: true });
  return openStore({ databaseUrl: testPostgresUrl, schema });
}

/** Declares `body`'s tests once per driver, each driver in its own `describe` with its own store. */
export function forEachDriver(body: (driver: StoreDriver, getStore: StoreGetter) => void): void {
  for (const driver of ['pglite', 'postgres'] as const) {
    describe(driver, () => {
      let store: Store | undefined;
      let unavailable: string | null = null;
      const schema = uniqueSchemaName();
      before(async () => {
        if (driver === 'postgres') unavailable = await postgresUnavailableReason();
        if (unavailable === null) store = await openTestStore(driver, schema);
      });
      after(async () => {
        await store?.close();
        if (driver === 'postgres' && unavailable === null) await dropSchema(schema);
      });
      body(driver, (t) => {
        if (!requireOrSkip(t, 'PostgreSQL', unavailable)) return undefined;
        if (!store) throw new Error(`the ${driver} test store failed to open (see the before hook's error)`);
        return store;
      });
    });
  }
}
