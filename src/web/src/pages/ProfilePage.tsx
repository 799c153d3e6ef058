/** One profile: its versions with revisions and layers, and "create a new version" from any of them. */
import { useState } from 'react';
import { type ProfileSummary, profilePath } from '../api/types.ts';
import { href } from '../app/router.ts';
import { useResource } from '../app/use-resource.ts';
import { ago } from '../clusters/cluster-notices.ts';
import { Badge } from '../components/Badges.tsx';
import { ErrorBanner } from '../components/ErrorBanner.tsx';
import { GuardedButton } from '../components/GuardedButton.tsx';
import { Loading } from '../components/States.tsx';
import { NewVersionDialog } from '../profiles/NewVersionDialog.tsx';

/** Renders the profile `name`. */
export function ProfilePage(props: { name: string }) {
  const profile = useResource<{ name: string; versions: ProfileSummary[] }>(profilePath(props.name));
  const [copyFrom, setCopyFrom] = useState<string | null>(null);
  const versions = profile.data?.versions ?? [];
  return (
    <div className="page">
      <div className="crumbs">
        <a href={href(['profiles'])}>Profiles</a> / {props.name}
      </div>
      <header className="page-header">
        <div>
          <h1>{props.name}</h1>
          <div className="subtitle">{versions.length} version(s)</div>
        </div>
      </header>
      <ErrorBanner error={profile.error} />
      {!profile.data ? (
        profile.error ? null : (
          <Loading />
        )
      ) : (
        <table className="simple table-card" data-testid="profile-versions">
          <thead>
            <tr>
              <th>Version</th>
              <th>Revision</th>
              <th>Type</th>
              <th>Layers</th>
              <th>Updated</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {[...versions].reverse().map((v) => (
              <tr key={v.version}>
                <td className="cell-name">
                  <a href={href(['profiles', v.name, 'versions', v.version])}>{v.version}</a>
                </td>
                <td className="cell-mono">r{v.revision}</td>
                <td>
                  <Badge>{v.type}</Badge>
                </td>
                <td className="small">
                  {v.layers.map((l) => (
                    <span key={l.pack} className="layer-chip">
                      {l.pack} <span className="muted">{l.version}</span>
                      {l.presets.length ? <span className="accent"> +{l.presets.join(', ')}</span> : null}
                    </span>
                  ))}
                </td>
                <td className="muted nowrap">{ago(v.updatedAt)}</td>
                <td className="right">
                  <GuardedButton need="operator" className="btn-small" onClick={() => setCopyFrom(v.version)}>
                    New version from {v.version}…
                  </GuardedButton>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {copyFrom ? (
        <NewVersionDialog
          name={props.name}
          from={copyFrom}
          existing={versions.map((v) => v.version)}
          onClose={() => setCopyFrom(null)}
        />
      ) : null}
    </div>
  );
}
