/**
 * Container logs without kubectl: a pure function of the container and the time asked about — the same request
 * gives the same lines, tails count from the end, and retention bounds a long-running container's log.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LogSource } from '../../src/sim/logs.ts';
import { formatLine, LOG_RETAINED_LINES, logLines } from '../../src/sim/logs.ts';

const start = Date.UTC(2026, 0, 1, 10, 0, 0);
const source: LogSource = {
  pod: 'web-1',
  namespace: 'default',
  uid: '0b4f1c1e-0000-4000-8000-000000000001',
  container: 'web',
  image: 'nginx:1.27',
  instance: 0,
  startedAt: start,
  intervalMs: 3000,
  podIP: '10.244.1.2',
  port: 8080,
};

describe('container logs', () => {
  test('open with start-up lines naming the image, then a line per interval', () => {
    const lines = logLines(source, start, start + 30_000);
    assert.equal(lines[0]!.text, 'Starting nginx 1.27 (image nginx:1.27)');
    assert.equal(lines[2]!.text, 'Listening on 0.0.0.0:8080');
    assert.equal(lines.length, 3 + 10);
    assert.deepEqual(logLines(source, start, start + 30_000), lines, 'deterministic');
  });

  test('a tail is the end of the full log; a window starts at its time', () => {
    const all = logLines(source, start, start + 60_000);
    assert.deepEqual(logLines(source, start, start + 60_000, 4), all.slice(-4));
    assert.deepEqual(logLines(source, start, start + 60_000, 25), all.slice(-25));
    const windowed = logLines(source, start + 30_000, start + 60_000);
    assert.ok(windowed.every((l) => l.at >= start + 30_000));
    assert.deepEqual(
      windowed,
      all.filter((l) => l.at >= start + 30_000),
    );
  });

  test(`a long-running container keeps its last ${LOG_RETAINED_LINES} lines`, () => {
    const day = logLines(source, start, start + 86_400_000);
    assert.equal(day.length, LOG_RETAINED_LINES);
    assert.equal(day.at(-1)!.at, start + 28_800 * 3000);
  });

  test('timestamps are RFC 3339 with nanoseconds', () => {
    assert.equal(
      formatLine({ at: start + 1234, text: 'hello' }, true),
      '2026-01-01T10:00:01.234000000Z hello\n',
    );
    assert.equal(formatLine({ at: start, text: 'hello' }, false), 'hello\n');
  });
});
