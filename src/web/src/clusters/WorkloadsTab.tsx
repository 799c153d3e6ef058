/** Pods by namespace (status, node, container IDs), deployments and services, read live from the cluster's API. */
import { useState } from 'react';
import { type Cluster, clusterPath, type WorkloadsView } from '../api/types.ts';
import { useResource } from '../app/use-resource.ts';
import { Badge } from '../components/Badges.tsx';
import { ErrorBanner } from '../components/ErrorBanner.tsx';
import { Empty, Loading } from '../components/States.tsx';

/** Renders the Workloads tab. */
export function WorkloadsTab(props: { cluster: Cluster }) {
  const workloads = useResource<WorkloadsView>(clusterPath(props.cluster.name, 'workloads'));
  const [namespace, setNamespace] = useState('');
  const [kind, setKind] = useState<'pods' | 'deployments' | 'services'>('pods');
  if (workloads.error) return <ErrorBanner error={workloads.error} />;
  if (!workloads.data) return <Loading label="Reading the cluster's workloads…" />;
  const namespaces = workloads.data.namespaces.filter((n) => !namespace || n.namespace === namespace);
  return (
    <div className="stack">
      <div className="toolbar">
        <div className="segmented" role="tablist">
          {(['pods', 'deployments', 'services'] as const).map((k) => (
            <button
              type="button"
              key={k}
              role="tab"
              aria-selected={kind === k}
              className={kind === k ? 'segmented-active' : undefined}
              onClick={() => setKind(k)}
            >
              {k[0]!.toUpperCase() + k.slice(1)}
            </button>
          ))}
        </div>
        <select aria-label="Namespace" value={namespace} onChange={(e) => setNamespace(e.target.value)}>
          <option value="">All namespaces</option>
          {workloads.data.namespaces.map((n) => (
            <option key={n.namespace} value={n.namespace}>
              {n.namespace}
            </option>
          ))}
        </select>
        <button
          type="button"
          className="btn btn-ghost"
          onClick={() => void workloads.reload()}
          disabled={workloads.loading}
        >
          {workloads.loading ? <span className="spinner" aria-hidden="true" /> : null}
          Refresh
        </button>
      </div>
      {namespaces.length === 0 ? <Empty title="No workloads" /> : null}
      {namespaces.map((n) => (
        <section className="card" key={n.namespace}>
          <h2>
            {n.namespace}{' '}
            <span className="muted small">
              {n.pods.length} pods · {n.deployments.length} deployments · {n.services.length} services
            </span>
          </h2>
          {kind === 'pods' ? (
            <table className="simple" data-testid={`pods-${n.namespace}`}>
              <thead>
                <tr>
                  <th>Pod</th>
                  <th>Status</th>
                  <th>Node</th>
                  <th>Container</th>
                  <th>Container ID</th>
                </tr>
              </thead>
              <tbody>
                {n.pods.map((p) => (
                  <tr key={p.name}>
                    <td className="cell-name">{p.name}</td>
                    <td>
                      <Badge tone={p.ready ? 'ok' : p.phase === 'Pending' ? 'info' : 'warn'}>
                        {p.ready ? 'Ready' : p.phase}
                      </Badge>
                    </td>
                    <td className="cell-mono">{p.node ?? '—'}</td>
                    <td>
                      {p.containers.map((ct) => (
                        <div key={ct.name}>
                          {ct.name} <span className="muted small">{ct.image}</span>
                          {ct.restartCount > 0 ? <Badge tone="warn">{ct.restartCount} restarts</Badge> : null}
                        </div>
                      ))}
                    </td>
                    <td className="cell-mono small break">
                      {p.containers.map((ct) => (
                        <div key={ct.name} title={ct.containerID ?? ''}>
                          {ct.containerID ? `${ct.containerID.slice(0, 25)}…` : '—'}
                        </div>
                      ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : kind === 'deployments' ? (
            <table className="simple">
              <thead>
                <tr>
                  <th>Deployment</th>
                  <th>Ready</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {n.deployments.map((d) => (
                  <tr key={d.name}>
                    <td className="cell-name">{d.name}</td>
                    <td>
                      {d.readyReplicas}/{d.replicas}
                    </td>
                    <td>{d.unused ? <Badge tone="info">unused</Badge> : null}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <table className="simple">
              <thead>
                <tr>
                  <th>Service</th>
                  <th>Type</th>
                  <th>Cluster IP</th>
                  <th>External IP</th>
                  <th>Ports</th>
                </tr>
              </thead>
              <tbody>
                {n.services.map((s) => (
                  <tr key={s.name}>
                    <td className="cell-name">{s.name}</td>
                    <td>{s.type}</td>
                    <td className="cell-mono">{s.clusterIP ?? '—'}</td>
                    <td className="cell-mono">{s.externalIP ?? '—'}</td>
                    <td className="cell-mono">{s.ports.join(', ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      ))}
    </div>
  );
}
