/** A cluster's page: header with phase and notices, and the tabs Overview, Profile, Overrides, Nodes, Workloads, Unused. */

import { href } from '../app/router.ts';
import { clusterNotices, NOTICE_LABEL, profileLabels } from '../clusters/cluster-notices.ts';
import { KubeconfigButton } from '../clusters/KubeconfigButton.tsx';
import { NodesTab } from '../clusters/NodesTab.tsx';
import { OverridesTab } from '../clusters/OverridesTab.tsx';
import { OverviewTab } from '../clusters/OverviewTab.tsx';
import { ProfileTab } from '../clusters/ProfileTab.tsx';
import { UnusedTab } from '../clusters/UnusedTab.tsx';
import { useCluster } from '../clusters/use-cluster.ts';
import { WorkloadsTab } from '../clusters/WorkloadsTab.tsx';
import { Badge, HealthBadge, PhaseBadge } from '../components/Badges.tsx';
import { ErrorBanner } from '../components/ErrorBanner.tsx';
import { Loading } from '../components/States.tsx';
import { Tabs } from '../components/Tabs.tsx';

/** Renders the cluster `name` with `tab` open. */
export function ClusterPage(props: { name: string; tab: string }) {
  const cluster = useCluster(props.name);
  const c = cluster.data;
  if (!c) {
    return (
      <div className="page">
        <div className="crumbs">
          <a href={href(['clusters'])}>Clusters</a> / {props.name}
        </div>
        {cluster.error ? <ErrorBanner error={cluster.error} /> : <Loading label="Loading cluster…" />}
      </div>
    );
  }
  const notices = clusterNotices(c);
  const seg = (tab: string) => ['clusters', c.name, tab];
  const tabs = [
    { id: 'overview', label: 'Overview', segments: seg('overview') },
    {
      id: 'profile',
      label: 'Profile',
      segments: seg('profile'),
      mark: notices.some((n) => n.notice === 'update-available') ? '•' : undefined,
    },
    {
      id: 'overrides',
      label: 'Overrides',
      segments: seg('overrides'),
      mark: Object.keys(c.spec.overrides).length || undefined,
    },
    {
      id: 'nodes',
      label: 'Nodes',
      segments: seg('nodes'),
      mark: c.status.repave.state === 'Pending' ? '!' : undefined,
    },
    { id: 'workloads', label: 'Workloads', segments: seg('workloads') },
    {
      id: 'unused',
      label: 'Unused resources',
      segments: seg('unused'),
      mark: notices.some((n) => n.notice === 'unused') ? '•' : undefined,
    },
  ];
  return (
    <div className="page">
      <div className="crumbs">
        <a href={href(['clusters'])}>Clusters</a> / {c.name}
      </div>
      <header className="page-header">
        <div>
          <h1 className="title-with-badges">
            {c.name}
            <PhaseBadge phase={c.status.phase} />
            <HealthBadge health={c.status.health} />
          </h1>
          <div className="subtitle">
            <span className="cell-mono">{profileLabels(c).join(', ') || 'no profile'}</span>
            <span className="sep">·</span>
            {c.spec.cloudType}
            {c.status.kubernetesVersion ? (
              <>
                <span className="sep">·</span>Kubernetes {c.status.kubernetesVersion}
              </>
            ) : null}
            {notices.map((n) => (
              <Badge key={n.notice} tone={NOTICE_LABEL[n.notice].tone} title={n.message}>
                {NOTICE_LABEL[n.notice].label}
              </Badge>
            ))}
          </div>
        </div>
        <div className="page-actions">
          <KubeconfigButton cluster={c.name} />
        </div>
      </header>
      <Tabs items={tabs} active={props.tab} />
      <ErrorBanner error={cluster.error} />
      <div className="tab-body">
        {props.tab === 'profile' ? (
          <ProfileTab cluster={c} reload={cluster.reload} />
        ) : props.tab === 'overrides' ? (
          <OverridesTab cluster={c} reload={cluster.reload} />
        ) : props.tab === 'nodes' ? (
          <NodesTab cluster={c} reload={cluster.reload} />
        ) : props.tab === 'workloads' ? (
          <WorkloadsTab cluster={c} />
        ) : props.tab === 'unused' ? (
          <UnusedTab cluster={c} />
        ) : (
          <OverviewTab cluster={c} />
        )}
      </div>
    </div>
  );
}
