/** Profiles: every profile with its versions, newest first, and the layers of its latest version. */
import { useMemo, useState } from 'react';
import { API_PATHS, type ProfileSummary } from '../api/types.ts';
import { href } from '../app/router.ts';
import { useResource } from '../app/use-resource.ts';
import { ago } from '../clusters/cluster-notices.ts';
import { Badge } from '../components/Badges.tsx';
import { ErrorBanner } from '../components/ErrorBanner.tsx';
import { Empty, Loading } from '../components/States.tsx';

/** Renders the profiles list. */
export function ProfilesPage() {
  const profiles = useResource<{ items: ProfileSummary[] }>(API_PATHS.profiles);
  const [search, setSearch] = useState('');
  const groups = useMemo(() => {
    const byName = new Map<string, ProfileSummary[]>();
    for (const p of profiles.data?.items ?? []) {
      if (search && !p.name.includes(search.trim().toLowerCase())) continue;
      byName.set(p.name, [...(byName.get(p.name) ?? []), p]);
    }
    return [...byName.entries()].sort(([a], [b]) => a.localeCompare(b));
  }, [profiles.data, search]);

  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Profiles</h1>
          <div className="subtitle">
            Versioned, layered stacks of packs: OS → Kubernetes → network → storage → add-ons.
          </div>
        </div>
      </header>
      <div className="toolbar">
        <input
          type="search"
          className="search"
          placeholder="Search profiles"
          aria-label="Search profiles"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
      </div>
      <ErrorBanner error={profiles.error} />
      {!profiles.data ? (
        profiles.error ? null : (
          <Loading />
        )
      ) : groups.length === 0 ? (
        <Empty title={search ? 'No profile matches' : 'No profiles yet'}>
          Create one with <code>strata profile create -f profile.yaml</code>, or start Strata with{' '}
          <code>--demo</code>.
        </Empty>
      ) : (
        <table className="simple table-card" data-testid="profiles">
          <thead>
            <tr>
              <th>Profile</th>
              <th>Versions</th>
              <th>Type</th>
              <th>Layers (latest)</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {groups.map(([name, versions]) => {
              const latest = versions[versions.length - 1]!;
              return (
                <tr key={name}>
                  <td className="cell-name">
                    <a href={href(['profiles', name])}>{name}</a>
                    {latest.description ? <div className="muted small">{latest.description}</div> : null}
                  </td>
                  <td>
                    <span className="chips">
                      {versions.map((v) => (
                        <a
                          key={v.version}
                          className="chip"
                          href={href(['profiles', name, 'versions', v.version])}
                        >
                          {v.version}
                          {v.revision > 1 ? <span className="muted"> r{v.revision}</span> : null}
                        </a>
                      ))}
                    </span>
                  </td>
                  <td>
                    <Badge>{latest.type}</Badge> <span className="muted small">{latest.cloudType}</span>
                  </td>
                  <td className="small">{latest.layers.map((l) => l.pack).join(' · ')}</td>
                  <td className="muted nowrap">{ago(latest.updatedAt)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}
