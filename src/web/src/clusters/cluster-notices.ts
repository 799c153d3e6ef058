/** What a cluster's status says at a glance: the notices the list and the cluster page show as badges. */
import { CLUSTER_NOTICES, type ClusterNotice, type ClusterSummary, NOTICE_CONDITION } from '../api/types.ts';

export type { ClusterNotice };

/** Labels and tones of the notices. */
export const NOTICE_LABEL: Record<
  ClusterNotice,
  { label: string; tone: 'accent' | 'warn' | 'bad' | 'info' }
> = {
  'update-available': { label: 'Update available', tone: 'accent' },
  'repave-pending': { label: 'Repave pending', tone: 'warn' },
  drift: { label: 'Drift', tone: 'bad' },
  unused: { label: 'Unused resources', tone: 'info' },
};

/** Returns the notices that apply to a cluster, each with the condition message that explains it. */
export function clusterNotices(cluster: ClusterSummary): Array<{ notice: ClusterNotice; message: string }> {
  const out: Array<{ notice: ClusterNotice; message: string }> = [];
  for (const notice of CLUSTER_NOTICES) {
    const condition = cluster.status.conditions.find((c) => c.type === NOTICE_CONDITION[notice]);
    if (condition?.status === 'True') out.push({ notice, message: condition.message });
    else if (notice === 'repave-pending' && cluster.status.repave.state === 'Pending')
      out.push({ notice, message: 'Node replacement waits for approval.' });
  }
  return out;
}

/** Returns the profiles a cluster is attached to as `name@version` labels (with the revision when not 1). */
export function profileLabels(cluster: ClusterSummary): string[] {
  return cluster.spec.profiles.map((p) => `${p.name}@${p.version}${p.revision > 1 ? ` r${p.revision}` : ''}`);
}

/** Returns a short "3 min ago" for an ISO time, relative to `now`. */
export function ago(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} d ago`;
}
