/** The layers a cluster's attached profile versions define, at the revisions it is attached to. */
import { useEffect, useState } from 'react';
import type { ApiError } from '../api/client.ts';
import { type Cluster, type ProfileDetail, profileVersionPath } from '../api/types.ts';
import { useSession } from '../app/session.tsx';
import { useAction } from '../app/use-resource.ts';

/** One layer with the profile it came from. */
export interface AttachedLayer {
  profile: string;
  pack: string;
  version: string;
  values: string;
  presets: string[];
}

/** Returns the attached layers in stack order (null while loading) and any load error. */
export function useAttachedLayers(cluster: Cluster): {
  layers: AttachedLayer[] | null;
  error: ApiError | undefined;
} {
  const { api } = useSession();
  const [layers, setLayers] = useState<AttachedLayer[] | null>(null);
  const action = useAction();
  const key = cluster.spec.profiles.map((p) => `${p.name}@${p.version}r${p.revision}`).join(',');
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for the attached profiles.
  useEffect(() => {
    void action.run(async () => {
      const details = await Promise.all(
        cluster.spec.profiles.map((p) =>
          api.get<ProfileDetail>(profileVersionPath(p.name, p.version, undefined, { revision: p.revision })),
        ),
      );
      setLayers(
        details.flatMap((d) =>
          d.layers.map((l) => ({
            profile: `${d.name}@${d.version}`,
            pack: l.pack,
            version: l.version,
            values: l.values,
            presets: l.presets,
          })),
        ),
      );
    });
  }, [api, key]);
  return { layers, error: action.error };
}
