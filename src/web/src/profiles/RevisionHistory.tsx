/**
 * Revision history of a profile version: every in-place edit, who made it and when; pick two revisions to see
 * per layer what changed (versions, presets, value paths) and the values side by side.
 */
import { useEffect, useState } from 'react';
import {
  type ProfileDetail,
  type ProfileRevisionItem,
  profileVersionPath,
  type RevisionDiff,
} from '../api/types.ts';
import { useSession } from '../app/session.tsx';
import { useAction, useResource } from '../app/use-resource.ts';
import { showValue } from '../clusters/PlanSummary.tsx';
import { Badge } from '../components/Badges.tsx';
import { ErrorBanner } from '../components/ErrorBanner.tsx';
import { MergeEditor } from '../components/MergeEditor.tsx';
import { Empty, Loading } from '../components/States.tsx';

const noop = () => {};

/** Renders the history of `name@version` (currently at revision `current`). */
export function RevisionHistory(props: { name: string; version: string; current: number }) {
  const { api } = useSession();
  const history = useResource<{ items: ProfileRevisionItem[] }>(
    profileVersionPath(props.name, props.version, 'revisions'),
  );
  const [from, setFrom] = useState(Math.max(1, props.current - 1));
  const [to, setTo] = useState(props.current);
  const [diff, setDiff] = useState<RevisionDiff | null>(null);
  const [texts, setTexts] = useState<{ a: ProfileDetail; b: ProfileDetail } | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const load = useAction();

  // biome-ignore lint/correctness/useExhaustiveDependencies: reload when the pair or the current revision changes.
  useEffect(() => {
    if (from === to) {
      setDiff(null);
      return;
    }
    void load.run(async () => {
      const [d, a, b] = await Promise.all([
        api.get<RevisionDiff>(profileVersionPath(props.name, props.version, 'revisions', { from, to })),
        api.get<ProfileDetail>(profileVersionPath(props.name, props.version, undefined, { revision: from })),
        api.get<ProfileDetail>(profileVersionPath(props.name, props.version, undefined, { revision: to })),
      ]);
      setDiff(d);
      setTexts({ a, b });
      setOpen(d.layers.find((l) => l.change !== 'unchanged')?.pack ?? null);
    });
  }, [api, props.name, props.version, from, to, props.current]);

  if (history.error) return <ErrorBanner error={history.error} />;
  if (!history.data) return <Loading />;
  const items = history.data.items;
  if (items.length < 2) {
    return (
      <Empty title="Only one revision">
        Saving this version in place makes revision 2; its differences from revision 1 will show here.
      </Empty>
    );
  }
  return (
    <div className="stack">
      <section className="card">
        <table className="simple" data-testid="revisions">
          <thead>
            <tr>
              <th>Revision</th>
              <th>Saved</th>
              <th>By</th>
              <th>Layers</th>
              <th>Compare</th>
            </tr>
          </thead>
          <tbody>
            {[...items].reverse().map((r) => (
              <tr key={r.revision}>
                <td className="cell-mono">
                  r{r.revision} {r.revision === props.current ? <Badge tone="ok">current</Badge> : null}
                </td>
                <td className="muted">{new Date(r.createdAt).toLocaleString()}</td>
                <td>{r.createdBy}</td>
                <td className="small">{r.layers.map((l) => `${l.pack} ${l.version}`).join(' · ')}</td>
                <td className="nowrap">
                  <label className="radio">
                    <input
                      type="radio"
                      name="from"
                      checked={from === r.revision}
                      onChange={() => setFrom(r.revision)}
                    />{' '}
                    from
                  </label>
                  <label className="radio">
                    <input
                      type="radio"
                      name="to"
                      checked={to === r.revision}
                      onChange={() => setTo(r.revision)}
                    />{' '}
                    to
                  </label>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <ErrorBanner error={load.error} />
      {from === to ? <Empty title="Pick two different revisions to compare" /> : null}
      {diff && texts ? (
        <section className="card" data-testid="revision-diff">
          <h2>
            r{diff.from} → r{diff.to}
          </h2>
          {diff.layers.filter((l) => l.change !== 'unchanged').length === 0 ? (
            <p className="muted">No differences.</p>
          ) : null}
          {diff.layers
            .filter((l) => l.change !== 'unchanged')
            .map((l) => {
              const before = texts.a.layers.find((x) => x.pack === l.pack)?.values ?? '';
              const after = texts.b.layers.find((x) => x.pack === l.pack)?.values ?? '';
              return (
                <div key={l.pack} className="diff-layer">
                  <button
                    type="button"
                    className="diff-layer-head"
                    onClick={() => setOpen(open === l.pack ? null : l.pack)}
                    aria-expanded={open === l.pack}
                  >
                    <span className="cell-name">{l.pack}</span>
                    <Badge tone="info">{l.change}</Badge>
                    {l.fromVersion !== l.toVersion ? (
                      <span className="cell-mono">
                        {l.fromVersion ?? '∅'} → {l.toVersion ?? '∅'}
                      </span>
                    ) : null}
                    {l.presets.enabled.map((p) => (
                      <span key={p} className="diff-add">
                        +{p}
                      </span>
                    ))}
                    {l.presets.disabled.map((p) => (
                      <span key={p} className="diff-del">
                        −{p}
                      </span>
                    ))}
                    <span className="muted small">{l.values.length} value change(s)</span>
                  </button>
                  {open === l.pack ? (
                    <>
                      <ul className="value-changes">
                        {l.values.map((v) => (
                          <li key={v.path}>
                            <code>{v.path}</code>{' '}
                            <span className="diff-del">{showValue(v.from, v.path)}</span> →{' '}
                            <span className="diff-add">{showValue(v.to, v.path)}</span>
                          </li>
                        ))}
                      </ul>
                      <MergeEditor
                        label={`${l.pack} r${diff.from} vs r${diff.to}`}
                        current={before}
                        pending={after}
                        onChange={noop}
                        readOnly
                        headings={[`Revision ${diff.from}`, `Revision ${diff.to}`]}
                      />
                    </>
                  ) : null}
                </div>
              );
            })}
        </section>
      ) : load.running ? (
        <Loading label="Comparing…" />
      ) : null}
    </div>
  );
}
