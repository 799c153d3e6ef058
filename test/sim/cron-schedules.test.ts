/**
 * CronJob schedules and what they cost: the cron syntax Kubernetes accepts and the times it fires (UTC and time
 * zones, day-of-month/day-of-week rules), and a cluster whose only work is a CronJob's next run leaving memory
 * and coming back when the scheduler wakes it for that run.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ManualClock } from '../../src/core/clock.ts';
import { createObject } from '../../src/sim/api-operations.ts';
import type { CronSchedule } from '../../src/sim/cron.ts';
import { latestCronTime, nextCronTime, parseCronSchedule } from '../../src/sim/cron.ts';
import { InMemorySimPersistence } from '../../src/sim/persistence.ts';
import { startSimKubeServer } from '../../src/sim/server.ts';
import { waitFor } from './sim-fixture.ts';

function schedule(text: string): CronSchedule {
  const s = parseCronSchedule(text);
  if ('error' in s) throw new Error(s.error);
  return s;
}
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? 'never' : new Date(ms).toISOString());

test('cron schedules fire when Kubernetes would run them', () => {
  const from = at('2026-03-07T10:17:30Z'); // a Saturday
  assert.equal(iso(nextCronTime(schedule('*/15 * * * *'), from)), '2026-03-07T10:30:00.000Z');
  assert.equal(iso(nextCronTime(schedule('@hourly'), from)), '2026-03-07T11:00:00.000Z');
  assert.equal(iso(nextCronTime(schedule('0 3 * * mon-fri'), from)), '2026-03-09T03:00:00.000Z');
  assert.equal(iso(nextCronTime(schedule('0 0 1 jan *'), from)), '2027-01-01T00:00:00.000Z');
  // Both day fields restricted: either may match (the 13th, or a Friday).
  assert.equal(iso(nextCronTime(schedule('0 12 13 * 5'), from)), '2026-03-13T12:00:00.000Z');
  assert.equal(iso(nextCronTime(schedule('0 9 * * 7'), from)), '2026-03-08T09:00:00.000Z');
  // In a time zone: 09:00 in New York is 14:00 UTC in winter.
  assert.equal(
    iso(nextCronTime(schedule('0 9 * * *'), from, 'America/New_York')),
    '2026-03-07T14:00:00.000Z',
  );
  assert.equal(iso(nextCronTime(schedule('0 0 30 2 *'), from)), 'never');
  assert.equal(
    iso(latestCronTime(schedule('*/5 * * * *'), at('2026-03-07T09:00:00Z'), from)),
    '2026-03-07T10:15:00.000Z',
  );
});

test('schedules Kubernetes refuses are refused with its reasons', () => {
  assert.deepEqual(parseCronSchedule('* * *'), { error: 'expected exactly 5 fields, found 3: * * *' });
  assert.deepEqual(parseCronSchedule('TZ=UTC * * * * *'), {
    error: 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
  });
  assert.ok('error' in parseCronSchedule('61 * * * *'));
  assert.ok('error' in parseCronSchedule('@sometimes'));
});

test('a cluster whose next work is a daily CronJob leaves memory and is woken for the run', async () => {
  const clock = new ManualClock(at('2026-01-01T00:00:00Z'));
  const pkiDir = await mkdtemp(join(tmpdir(), 'strata-cron-'));
  const server = await startSimKubeServer({
    port: 0,
    pkiDir,
    persistence: new InMemorySimPersistence(),
    clock,
    timing: { flushDelayMs: 1, idleEvictMs: 60_000 },
  });
  try {
    await server.infra.createCluster('nightly');
    const cluster = await server.fleet.require('nightly');
    const type = cluster.registry.find('batch', 'v1', 'cronjobs')!;
    createObject(
      cluster,
      { type, namespace: 'default', name: undefined, subresource: undefined },
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'backup' },
        spec: {
          schedule: '0 3 * * *',
          jobTemplate: {
            spec: {
              template: { spec: { restartPolicy: 'Never', containers: [{ name: 'b', image: 'busybox' }] } },
            },
          },
        },
      },
      { fieldManager: null, userAgent: undefined, dryRun: false, force: false },
    );
    await server.flush();
    await new Promise((r) => setTimeout(r, 20));
    await server.flush();
    assert.equal(server.fleet.stats().pendingWakeups, 1, 'one wake-up: the next run');
    clock.advance(120_000);
    assert.equal(server.fleet.evictIdle(), 1, 'the idle cluster leaves memory despite the far wake-up');
    assert.equal(server.fleet.stats().loadedClusters, 0);
    clock.advance(at('2026-01-01T03:00:05Z') - clock.now());
    assert.equal(server.fleet.runDue(), 1);
    await waitFor(async () => {
      const c = await server.fleet.get('nightly');
      return c !== undefined && c.store.list('batch/jobs').length === 1;
    }, 'the 03:00 Job');
    const job = (await server.fleet.require('nightly')).store.list('batch/jobs')[0]!;
    assert.equal(job.metadata.name, `backup-${Math.floor(at('2026-01-01T03:00:00Z') / 60_000)}`);
  } finally {
    await server.stop();
    await rm(pkiDir, { recursive: true, force: true });
  }
});
