/** A simulated API server for tests: temp PKI dir, in-memory persistence, millisecond timings. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../src/core/clock.ts';
import type { SimObjectPersistence } from '../../src/sim/persistence.ts';
import { InMemorySimPersistence } from '../../src/sim/persistence.ts';
import type { SimKubeServer } from '../../src/sim/server.ts';
import { startSimKubeServer } from '../../src/sim/server.ts';
import type { SimTiming } from '../../src/sim/timing.ts';
import type { KubectlSession } from '../support/kubectl.ts';

/** A started server and what is needed to clean it up. */
export interface SimFixture {
  server: SimKubeServer;
  persistence: SimObjectPersistence;
  pkiDir: string;
  close(): Promise<void>;
}

/** Fast timings for tests. */
export const TEST_TIMING = { nodeBootMs: 20, podStartMs: 15, podRunMs: 40, flushDelayMs: 5 };

/** Starts a server on a free port. */
export async function startFixture(
  options: {
    persistence?: SimObjectPersistence;
    pkiDir?: string;
    onRequest?: (method: string, path: string) => void;
    clock?: Clock;
    timing?: Partial<SimTiming>;
  } = {},
): Promise<SimFixture> {
  const pkiDir = options.pkiDir ?? (await mkdtemp(join(tmpdir(), 'strata-sim-pki-')));
  const persistence = options.persistence ?? new InMemorySimPersistence();
  const server = await startSimKubeServer({
    port: 0,
    pkiDir,
    persistence,
    timing: { ...TEST_TIMING, ...(options.timing ?? {}) },
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.onRequest ? { onRequest: options.onRequest } : {}),
  });
  return {
    server,
    persistence,
    pkiDir,
    async close() {
      await server.stop();
      if (!options.pkiDir) await rm(pkiDir, { recursive: true, force: true });
    },
  };
}

/** Creates a cluster with one control-plane node and `workers` worker nodes; resolves when all are Ready. */
export async function createReadyCluster(
  server: SimKubeServer,
  name: string,
  workers = 2,
): Promise<string[]> {
  await server.infra.createCluster(name);
  await server.infra.createPool(name, {
    name: 'cp',
    role: 'control-plane',
    machine: { instanceType: 'm5.large' },
  });
  await server.infra.createPool(name, {
    name: 'workers',
    role: 'worker',
    machine: { instanceType: 'm5.xlarge' },
  });
  const spec = { osImage: 'Ubuntu 22.04.5 LTS', kubeletVersion: 'v1.33.2' };
  const names = [await server.infra.addNode(name, 'cp', spec)];
  for (let i = 0; i < workers; i += 1) names.push(await server.infra.addNode(name, 'workers', spec));
  await waitFor(
    async () => (await server.infra.listNodes(name)).every((n) => n.state === 'Ready'),
    'nodes Ready',
  );
  return names;
}

/** Polls `check` every 10 ms until it is true; fails after `timeoutMs` naming what it waited for. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** The wall clock plus an offset a test moves forward (CronJob schedules), so kubectl and the server agree on ages. */
export class ShiftedClock implements Clock {
  private offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  /** Moves time forward by `ms`. */
  advance(ms: number): void {
    this.offset += ms;
  }
}

/** Returns a kubectl runner that asserts exit 0 and returns stdout (the failure names the command and stderr). */
export function checkedKubectl(session: () => KubectlSession) {
  return async (args: string[], input?: string): Promise<string> => {
    const r = await session().run(args, input === undefined ? {} : { input });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
}
