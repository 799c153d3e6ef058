/**
 * `--wait`: follows a cluster until the work asked of it is done, printing each phase and condition change
 * as it happens. It polls `GET /v1/clusters/{name}` (one indexed read a second), which needs no open stream
 * and survives a server restart.
 */
import { StrataError } from '../core/errors.ts';
import type { ClusterSpec } from '../core/model.ts';
import type { ClusterStatus, ClusterSummaryServer as ClusterSummary } from '../wire/types.ts';
import type { ApiClient } from './client.ts';
import type { Printer } from './output.ts';

/** A cluster as the API answers it. */
export interface ClusterJson {
  name: string;
  spec: ClusterSpec;
  status: ClusterStatus;
  generation: number;
  resourceVersion: number;
  createdAt: string;
  updatedAt: string;
}

/** A cluster as lists answer it (`GET /v1/clusters` without view=full). */
export type ClusterSummaryJson = Omit<ClusterSummary, 'createdAt' | 'updatedAt'> & {
  createdAt: string;
  updatedAt: string;
};

/** What to wait for. */
export interface WaitOptions {
  /** `ready`: Running and reconciled at the latest generation; `deleted`: gone. */
  until: 'ready' | 'deleted';
  timeoutMs: number;
  intervalMs?: number;
}

/** Default `--timeout` of `--wait`. */
export const DEFAULT_WAIT_TIMEOUT = '15m';

function conditionText(c: ClusterStatus['conditions'][number]): string {
  return `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}${c.message ? `: ${c.message}` : ''}`;
}

/**
 * Polls the cluster and prints changes until it reaches the goal; returns its last state (null once deleted).
 * Stops early, saying so, when a repave waits for approval. Throws `Unavailable` on timeout.
 */
export async function waitForCluster(
  client: ApiClient,
  name: string,
  options: WaitOptions,
  printer: Printer,
): Promise<ClusterJson | null> {
  const started = Date.now();
  const interval = options.intervalMs ?? 1000;
  let lastPhase = '';
  const seen = new Set<string>();
  let announcedRepave = false;
  for (;;) {
    let cluster: ClusterJson | null;
    try {
      cluster = await client.request<ClusterJson>({
        method: 'GET',
        path: `/v1/clusters/${encodeURIComponent(name)}`,
      });
    } catch (error) {
      if ((error as StrataError).code === 'NotFound' && options.until === 'deleted') cluster = null;
      else throw error;
    }
    const elapsed = `[${Math.round((Date.now() - started) / 1000)}s]`;
    if (cluster === null) {
      printer.out(`${elapsed} cluster ${name} deleted`);
      return null;
    }
    const s = cluster.status;
    if (s.phase !== lastPhase) {
      printer.out(`${elapsed} ${name}: phase ${s.phase}${s.health ? `, health ${s.health}` : ''}`);
      lastPhase = s.phase;
    }
    for (const c of s.conditions ?? []) {
      const text = conditionText(c);
      if (!seen.has(text)) {
        seen.add(text);
        printer.out(`${elapsed}   ${text}`);
      }
    }
    if (options.until === 'deleted' && s.phase === 'Deleted') {
      printer.out(`${elapsed} cluster ${name} deleted`);
      return cluster;
    }
    if (options.until === 'ready') {
      if (s.phase === 'Running' && s.observedGeneration >= cluster.generation) {
        printer.out(`${elapsed} ${name} is Running at generation ${cluster.generation}.`);
        return cluster;
      }
      if (s.repave?.state === 'Pending' && !announcedRepave) {
        announcedRepave = true;
        printer.out(
          `${elapsed} repave pending approval (${s.repave.reasons.map((r) => r.code).join(', ')}); approve with: strata cluster repave approve ${name}`,
        );
        return cluster;
      }
    }
    if (Date.now() - started > options.timeoutMs) {
      throw new StrataError(
        'Unavailable',
        `Timed out after ${Math.round(options.timeoutMs / 1000)}s waiting for cluster ${name} (phase ${s.phase}); it keeps going — check with: strata cluster get ${name}`,
        { reason: 'WaitTimeout', phase: s.phase },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}
