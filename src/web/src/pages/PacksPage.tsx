/** The pack catalog: every pack by layer with its versions, presets and default values. */
import { useMemo, useState } from 'react';
import { API_PATHS, LAYER_ORDER, type PackDetail, type PackSummary, packPath } from '../api/types.ts';
import { href } from '../app/router.ts';
import { useResource } from '../app/use-resource.ts';
import { Badge } from '../components/Badges.tsx';
import { ErrorBanner } from '../components/ErrorBanner.tsx';
import { Empty, Loading } from '../components/States.tsx';
import { YamlEditor } from '../components/YamlEditor.tsx';

/** Renders the catalog; `selected` is `name@version` of the pack shown on the right. */
export function PacksPage(props: { selected?: string }) {
  const packs = useResource<{ items: PackSummary[] }>(API_PATHS.packs);
  const [search, setSearch] = useState('');
  const [name, version] = (props.selected ?? '').split('@');
  const detail = useResource<PackDetail>(name && version ? packPath(name, version) : null);
  const byLayer = useMemo(() => {
    const needle = search.trim().toLowerCase();
    const items = (packs.data?.items ?? []).filter(
      (p) => !needle || p.name.includes(needle) || p.displayName.toLowerCase().includes(needle),
    );
    return LAYER_ORDER.map((layer) => ({ layer, items: items.filter((p) => p.layer === layer) })).filter(
      (g) => g.items.length > 0,
    );
  }, [packs.data, search]);

  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Packs</h1>
          <div className="subtitle">The building blocks of profiles, by layer.</div>
        </div>
      </header>
      <div className="toolbar">
        <input
          type="search"
          className="search"
          placeholder="Search packs"
          aria-label="Search packs"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
      </div>
      <ErrorBanner error={packs.error} />
      {!packs.data ? (
        packs.error ? null : (
          <Loading />
        )
      ) : (
        <div className="split">
          <div className="split-list">
            {byLayer.length === 0 ? <Empty title="No pack matches" /> : null}
            {byLayer.map((g) => (
              <section key={g.layer} className="pack-group">
                <h3>{g.layer}</h3>
                {g.items.map((p) => (
                  <a
                    key={`${p.name}@${p.version}`}
                    className={`pack-row${props.selected === `${p.name}@${p.version}` ? ' pack-row-active' : ''}`}
                    href={href(['packs', `${p.name}@${p.version}`])}
                  >
                    <span className="cell-name">{p.displayName}</span>
                    <span className="cell-mono muted">
                      {p.name} {p.version}
                    </span>
                    {p.source === 'user' ? <Badge tone="accent">user</Badge> : null}
                  </a>
                ))}
              </section>
            ))}
          </div>
          <div className="split-detail">
            {!props.selected ? (
              <Empty title="Select a pack">
                Its presets, node-impact paths and default values show here.
              </Empty>
            ) : detail.error ? (
              <ErrorBanner error={detail.error} />
            ) : !detail.data ? (
              <Loading />
            ) : (
              <div className="card stack">
                <h2>
                  {detail.data.displayName} <span className="version-tag">{detail.data.version}</span>{' '}
                  <Badge>{detail.data.layer}</Badge>
                  {detail.data.distribution ? <Badge tone="info">{detail.data.distribution}</Badge> : null}
                </h2>
                <p className="muted">{detail.data.description}</p>
                {detail.data.presets.length ? (
                  <div>
                    <h3>Presets</h3>
                    <ul>
                      {detail.data.presets.map((p) => (
                        <li key={p.name}>
                          <strong>{p.displayName}</strong> <code>{p.name}</code>{' '}
                          <span className="muted">group {p.group}</span>
                        </li>
                      ))}
                    </ul>
                  </div>
                ) : null}
                {detail.data.nodeImpactPaths.length ? (
                  <div>
                    <h3>Node-impact paths</h3>
                    <p className="muted small">Changing these values replaces nodes (repave).</p>
                    <code>{detail.data.nodeImpactPaths.join(', ')}</code>
                  </div>
                ) : null}
                <h3>Default values</h3>
                <YamlEditor
                  key={props.selected}
                  label={`${detail.data.name} default values`}
                  value={detail.data.values}
                  readOnly
                />
              </div>
            )}
          </div>
        </div>
      )}
    </div>
  );
}
