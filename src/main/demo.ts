/**
 * `strata up --demo`: the seed's walkthrough set up — profile `hello-universe-aws` 1.0.0 (hello-universe
 * without presets) and 1.1.0 (with the `enable-api` preset), and, when the engine runs, the cluster
 * `cluster-update-deletion` from 1.0.0. Idempotent: what exists is left alone.
 */

import { DEMO_CLUSTER, DEMO_PROFILE } from '../cli/demo-names.ts';
import type { Catalog } from '../core/catalog.ts';
import { type ProfileDocument, validateProfileVersion } from '../core/profile.ts';
import type { EngineCommands } from '../engine/contract.ts';
import { getCluster } from '../store/clusters.ts';
import type { Store } from '../store/open.ts';
import { createProfileVersion, getProfileVersion } from '../store/profiles.ts';

export { DEMO_CLUSTER, DEMO_PROFILE };

const SYSTEM = { actor: 'system' };

/** Returns the demo profile document at a version, with or without the hello-universe API preset. */
export function demoProfileDocument(version: string, withApi: boolean): ProfileDocument {
  return {
    name: DEMO_PROFILE,
    version,
    type: 'full',
    cloudType: 'sim',
    description: withApi
      ? 'Hello Universe with its API and database (preset enable-api).'
      : 'Hello Universe, UI only.',
    layers: [
      { pack: 'ubuntu', version: '22.4.5' },
      { pack: 'kubernetes', version: '1.30.10' },
      { pack: 'calico', version: '3.28.2' },
      { pack: 'csi-hostpath', version: '1.14.1' },
      { pack: 'hello-universe', version: '1.2.0', presets: withApi ? ['enable-api'] : [] },
    ],
  };
}

/** Creates what of the demo is missing; returns the names of what it made. */
export async function setUpDemo(
  store: Store,
  catalog: Catalog,
  engine: EngineCommands | null,
): Promise<string[]> {
  const made: string[] = [];
  for (const [version, withApi] of [
    ['1.0.0', false],
    ['1.1.0', true],
  ] as const) {
    if (await getProfileVersion(store.db, DEMO_PROFILE, version)) continue;
    await createProfileVersion(
      store.db,
      SYSTEM,
      validateProfileVersion(demoProfileDocument(version, withApi), catalog),
    );
    made.push(`profile ${DEMO_PROFILE}@${version}`);
  }
  if (engine && !(await getCluster(store.db, DEMO_CLUSTER))) {
    await engine.createCluster(SYSTEM, { name: DEMO_CLUSTER, profiles: [`${DEMO_PROFILE}@1.0.0`] });
    made.push(`cluster ${DEMO_CLUSTER}`);
  }
  return made;
}
