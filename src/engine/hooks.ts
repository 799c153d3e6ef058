/**
 * Running a chart layer's Helm hooks, one reconcile step at a time. A layer with hooks has a release in the
 * engine's state, keyed by a digest of everything it renders: a new render starts a new release — `install`
 * when the layer has nothing on the cluster yet, else `upgrade` — which runs the `pre-` hooks (in order, each
 * awaited), lets the layer's objects be applied, then runs the `post-` hooks. Hooks are deleted by their
 * policies at the end of their phase (or before they are created again). A failed hook stops the release with
 * the hook's own message; a new render (changed values, a new chart version) starts over.
 */
import { createHash } from 'node:crypto';
import { type DesiredObject, forCluster } from '../core/desired.ts';
import { deletePolicies, type HookEvent, hookOutcome, hooksFor, isAwaitedHook } from '../core/hooks.ts';
import type { ObjectRef } from '../core/model.ts';
import type { KubeClient } from '../kube/client.ts';
import type { StepWrites } from './step-writes.ts';

/** How long an awaited hook may run before the release fails (Helm's default `--timeout`). */
export const HOOK_TIMEOUT_MS = 5 * 60_000;

/** Where a layer's release is. */
export interface ReleaseProgress {
  /** Digest of the layer's render (objects and hooks) this release is for. */
  digest: string;
  action: 'install' | 'upgrade';
  stage: 'pre' | 'main' | 'post' | 'done' | 'failed';
  /** Index of the running hook in its stage's ordered list. */
  hook: number;
  /** The running hook was created and is awaited. */
  started: boolean;
  /** When it was created (epoch ms). */
  startedAt?: number;
  /** Why the release failed. */
  message?: string;
}

/** A chart layer with hooks, as this step sees it. */
export interface HookedLayer {
  pack: string;
  hooks: DesiredObject[];
  main: DesiredObject[];
  /** The layer has objects on the cluster already (an upgrade, not an install). */
  installed: boolean;
  /** Some of its objects are to be applied in this step. */
  applying: boolean;
}

/** What the hooks step decided. */
export interface HooksOutcome {
  /** Packs whose objects must wait (their pre-hooks are running or failed). */
  holdPacks: Set<string>;
  acted: boolean;
  /** `pack: message` of failed releases. */
  failures: string[];
  releases: Record<string, ReleaseProgress>;
}

/** Returns the digest of a layer's render: its objects' and hooks' hashes. */
export function releaseDigest(layer: Pick<HookedLayer, 'hooks' | 'main'>): string {
  const h = createHash('sha256');
  for (const d of [...layer.main, ...layer.hooks].map((x) => `${x.key}=${x.hash}`).sort()) h.update(`${d}\n`);
  return h.digest('base64url');
}

function describe(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

/** Takes one step of every hooked layer's release; returns which layers' objects must wait. */
export async function stepHooks(
  client: KubeClient,
  cluster: string,
  layers: readonly HookedLayer[],
  previous: Readonly<Record<string, ReleaseProgress>>,
  nowMs: number,
  writes: StepWrites,
): Promise<HooksOutcome> {
  const outcome: HooksOutcome = { holdPacks: new Set(), acted: false, failures: [], releases: {} };
  for (const layer of layers) {
    const digest = releaseDigest(layer);
    let release = previous[layer.pack];
    if (!release || release.digest !== digest) {
      release = {
        digest,
        action: layer.installed ? 'upgrade' : 'install',
        stage: 'pre',
        hook: 0,
        started: false,
      };
      writes.event('Normal', 'ReleaseStarted', `${layer.pack}: ${release.action} started (Helm hooks run).`, {
        pack: layer.pack,
        action: release.action,
      });
    }
    release = { ...release };
    for (let guard = 0; guard < 1000; guard += 1) {
      if (release.stage === 'pre' || release.stage === 'post') {
        const event = `${release.stage}-${release.action}` as HookEvent;
        const ran = await runPhase(
          client,
          cluster,
          hooksFor(layer.hooks, event),
          release,
          nowMs,
          writes,
          layer.pack,
          event,
        );
        if (ran === 'waiting') {
          outcome.acted = true;
          break;
        }
        if (ran === 'failed') {
          outcome.acted = true;
          break;
        }
        release.stage = release.stage === 'pre' ? 'main' : 'done';
        release.hook = 0;
        release.started = false;
        delete release.startedAt;
        continue;
      }
      if (release.stage === 'main') {
        if (layer.applying) break; // the layer's objects are applied this step; post-hooks follow the next one
        release.stage = 'post';
        continue;
      }
      break;
    }
    if (release.stage === 'pre' || release.stage === 'failed') outcome.holdPacks.add(layer.pack);
    if (release.stage === 'failed') outcome.failures.push(`${layer.pack}: ${release.message}`);
    if (release.stage !== 'done' && release.stage !== 'failed') outcome.acted = true;
    outcome.releases[layer.pack] = release;
  }
  return outcome;
}

/** Runs a phase's hooks from `release.hook` on; returns whether it is done, waiting or failed (release updated). */
async function runPhase(
  client: KubeClient,
  cluster: string,
  hooks: readonly DesiredObject[],
  release: ReleaseProgress,
  nowMs: number,
  writes: StepWrites,
  pack: string,
  event: HookEvent,
): Promise<'done' | 'waiting' | 'failed'> {
  while (release.hook < hooks.length) {
    const hook = hooks[release.hook]!;
    if (!release.started) {
      if (deletePolicies(hook.object).includes('before-hook-creation')) await client.delete(hook.ref);
      await client.apply(forCluster(hook, cluster));
      release.started = true;
      release.startedAt = nowMs;
      if (isAwaitedHook(hook.object)) return 'waiting';
    }
    const result = isAwaitedHook(hook.object) ? hookOutcome(await client.get(hook.ref)) : 'succeeded';
    const timedOut = result === 'running' && nowMs - (release.startedAt ?? nowMs) > HOOK_TIMEOUT_MS;
    if (result === 'running' && !timedOut) return 'waiting';
    if (result !== 'succeeded') {
      const why = timedOut
        ? `did not finish within ${HOOK_TIMEOUT_MS / 1000} s`
        : `failed: ${(result as { failed: string }).failed}`;
      return failPhase(client, hooks, release, writes, pack, event, `${describe(hook.ref)} ${why}`);
    }
    release.hook += 1;
    release.started = false;
    delete release.startedAt;
  }
  // The phase succeeded: hooks that ask to be deleted on success go now.
  for (const hook of hooks)
    if (deletePolicies(hook.object).includes('hook-succeeded')) await client.delete(hook.ref);
  if (hooks.length > 0) {
    writes.event(
      'Normal',
      'HooksSucceeded',
      `${pack}: ${event} hooks succeeded (${hooks.map((h) => describe(h.ref)).join(', ')}).`,
      {
        pack,
        event,
      },
    );
  }
  return 'done';
}

async function failPhase(
  client: KubeClient,
  hooks: readonly DesiredObject[],
  release: ReleaseProgress,
  writes: StepWrites,
  pack: string,
  event: HookEvent,
  message: string,
): Promise<'failed'> {
  for (const hook of hooks)
    if (deletePolicies(hook.object).includes('hook-failed')) await client.delete(hook.ref);
  release.stage = 'failed';
  release.message = `${event} hook ${message}`;
  writes.event('Warning', 'HookFailed', `${pack}: ${release.message}.`, { pack, event });
  return 'failed';
}
