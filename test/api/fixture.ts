/**
 * An API server for tests: the real server over the real store (PGlite in memory, or a PostgreSQL schema),
 * the built-in catalog, and tokens for each role. Requests go through `inject` (no socket) unless a test
 * listens itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, type TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ensureAdminToken } from '../../src/api/admin-token.ts';
import { LiveEventBus } from '../../src/api/event-bus.ts';
import { createApiServer } from '../../src/api/server.ts';
import { loadBuiltinCatalog } from '../../src/catalog/load.ts';
import type { Catalog } from '../../src/core/catalog.ts';
import type { EngineCommands } from '../../src/engine/contract.ts';
import type { Store, StoreDriver } from '../../src/store/open.ts';
import { syncBuiltinPacks } from '../../src/store/packs.ts';
import { createToken } from '../../src/store/tokens.ts';
import { dropSchema, postgresUnavailableReason, uniqueSchemaName } from '../support/postgres.ts';
import { requireOrSkip } from '../support/requirements.ts';
import { openTestStore } from '../support/stores.ts';

/** A started test server and its tokens. */
export interface ApiFixture {
  app: FastifyInstance;
  store: Store;
  catalog: Catalog;
  events: LiveEventBus;
  engine: EngineCommands | null;
  home: string;
  tokens: { admin: string; operator: string; viewer: string };
  /** The lines the server logged (failures: 5xx with their cause), as parsed JSON. */
  errorLog: Array<Record<string, unknown>>;
  /** Sends a request (admin token unless `token` says otherwise; null sends none). */
  call(method: string, url: string, options?: CallOptions): Promise<CallResult>;
  close(): Promise<void>;
}

/** Options of one request. */
export interface CallOptions {
  token?: string | null;
  /** An object is sent as JSON; a string as is with `contentType`. */
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

/** A response: status, parsed JSON (when JSON), text and headers. */
export interface CallResult {
  status: number;
  json: Record<string, unknown> & { code?: string; message?: string; details?: Record<string, unknown> };
  text: string;
  headers: Record<string, string | string[] | number | undefined>;
}

let fixtureCount = 0;

/** Starts a server on `store` with the built-in packs synced; `engine` defaults to none. */
export async function startApiFixture(
  store: Store,
  engine: EngineCommands | null = null,
): Promise<ApiFixture> {
  const home = mkdtempSync(join(tmpdir(), 'strata-api-'));
  const catalog = await loadBuiltinCatalog();
  await syncBuiltinPacks(store.db, { actor: 'system' }, catalog.list());
  const events = new LiveEventBus();
  const errorLog: Array<Record<string, unknown>> = [];
  const app = createApiServer({
    store,
    catalog,
    engine,
    home,
    events,
    heartbeatMs: 100,
    errorLog: { write: (line) => errorLog.push(JSON.parse(line) as Record<string, unknown>) },
  });
  await app.ready();
  const admin = (await ensureAdminToken(store, home)).token;
  const n = ++fixtureCount;
  const operator = (
    await createToken(store.db, { actor: 'test' }, { name: `op-${process.pid}-${n}`, role: 'operator' })
  ).token;
  const viewer = (
    await createToken(store.db, { actor: 'test' }, { name: `view-${process.pid}-${n}`, role: 'viewer' })
  ).token;
  const call = async (method: string, url: string, options: CallOptions = {}): Promise<CallResult> => {
    const token = options.token === undefined ? admin : options.token;
    const headers: Record<string, string> = { ...options.headers };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let payload: string | undefined;
    if (options.body !== undefined) {
      if (typeof options.body === 'string') {
        payload = options.body;
        headers['content-type'] = options.contentType ?? 'application/yaml';
      } else {
        payload = JSON.stringify(options.body);
        headers['content-type'] = options.contentType ?? 'application/json';
      }
    }
    const response = await app.inject({ method: method as 'GET', url, headers, payload });
    let json = {} as CallResult['json'];
    if (String(response.headers['content-type'] ?? '').includes('json') && response.body !== '') {
      json = JSON.parse(response.body);
    }
    return { status: response.statusCode, json, text: response.body, headers: response.headers };
  };
  return {
    app,
    store,
    catalog,
    events,
    engine,
    home,
    tokens: { admin, operator, viewer },
    errorLog,
    call,
    close: async () => {
      await app.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** A profile file (YAML) for the built-in catalog: a full stack, optionally with the hello-universe API preset. */
export function profileYaml(
  name: string,
  version: string,
  options: { api?: boolean; replicas?: number } = {},
): string {
  const lines = [
    `name: ${name}`,
    `version: ${version}`,
    'type: full',
    'cloudType: sim',
    'layers:',
    '  - pack: ubuntu',
    '    version: 22.4.5',
    '  - pack: kubernetes',
    '    version: 1.30.10',
    '  - pack: calico',
    '    version: 3.28.2',
    '  - pack: hello-universe',
    '    version: 1.2.0',
  ];
  if (options.api) lines.push('    presets: [enable-api]');
  if (options.replicas !== undefined) {
    lines.push(
      '    values: |',
      '      helloUniverse:',
      '        ui:',
      `          replicas: ${options.replicas}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Declares `body`'s tests once per store driver (PGlite in memory; PostgreSQL when reachable, else skipped
 * loudly), each with its own server. `getFixture` returns undefined after skipping.
 */
export function forEachApiDriver(
  body: (getFixture: (t: TestContext) => ApiFixture | undefined) => void,
  options: { engine?: (store: Store) => EngineCommands | null; drivers?: readonly StoreDriver[] } = {},
): void {
  for (const driver of options.drivers ?? (['pglite', 'postgres'] as const)) {
    describe(driver, () => {
      let fixture: ApiFixture | undefined;
      let unavailable: string | null = null;
      const schema = uniqueSchemaName('api');
      before(async () => {
        if (driver === 'postgres') unavailable = await postgresUnavailableReason();
        if (unavailable !== null) return;
        const store = await openTestStore(driver, schema);
        fixture = await startApiFixture(store, options.engine?.(store) ?? null);
      });
      after(async () => {
        await fixture?.close();
        await fixture?.store.close();
        if (driver === 'postgres' && unavailable === null) await dropSchema(schema);
      });
      body((t) => {
        if (!requireOrSkip(t, 'PostgreSQL', unavailable)) return undefined;
        if (!fixture)
          throw new Error(`the ${driver} API fixture failed to start (see the before hook's error)`);
        return fixture;
      });
    });
  }
}
