/**
 * What a simulated container looks like from inside, derived on request from its pod and the cluster's
 * objects: its environment (the pod spec's `env` and `envFrom` resolved as the kubelet does, Kubernetes'
 * service variables, the image's usual variables) and a small read-only file system (`/etc/hostname`,
 * `/etc/hosts`, `/etc/resolv.conf`, `/etc/os-release`, the service account namespace, and the files of
 * mounted ConfigMap and Secret volumes). Exec and port-forward read it; nothing is kept per container.
 */

import type { KubeObject } from './kube-object.ts';
import { isJsonObject } from './kube-object.ts';
import type { SimCluster } from './sim-cluster.ts';

/** A container as exec sees it. */
export interface ContainerView {
  pod: KubeObject;
  container: string;
  image: string;
  hostname: string;
  /** Environment variables in the order `env` prints them. */
  env: [string, string][];
  /** Absolute file paths and their contents. */
  files: Map<string, string>;
  /** Absolute directory paths (each file's parents and the usual top-level ones). */
  dirs: Set<string>;
}

const BASE_DIRS = [
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/home',
  '/lib',
  '/media',
  '/mnt',
  '/opt',
  '/proc',
  '/root',
  '/run',
  '/sbin',
  '/srv',
  '/sys',
  '/tmp',
  '/usr',
  '/usr/bin',
  '/usr/local',
  '/usr/local/bin',
  '/var',
  '/var/log',
];

function rec(v: unknown): Record<string, unknown> {
  return isJsonObject(v) ? v : {};
}

function list(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.filter(isJsonObject) : [];
}

/** Returns `/etc/os-release` of the distribution an image is most likely built on. */
export function osReleaseOf(image: string): string {
  const name = image.toLowerCase();
  if (name.includes('alpine') || name.startsWith('busybox') || name.includes('/busybox')) {
    return [
      'NAME="Alpine Linux"',
      'ID=alpine',
      'VERSION_ID=3.20.3',
      'PRETTY_NAME="Alpine Linux v3.20"',
      'HOME_URL="https://alpinelinux.org/"',
      'BUG_REPORT_URL="https://gitlab.alpinelinux.org/alpine/aports/-/issues"',
      '',
    ].join('\n');
  }
  if (name.includes('ubuntu')) {
    return [
      'PRETTY_NAME="Ubuntu 24.04.1 LTS"',
      'NAME="Ubuntu"',
      'VERSION_ID="24.04"',
      'VERSION="24.04.1 LTS (Noble Numbat)"',
      'VERSION_CODENAME=noble',
      'ID=ubuntu',
      'ID_LIKE=debian',
      'HOME_URL="https://www.ubuntu.com/"',
      '',
    ].join('\n');
  }
  return [
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
    'NAME="Debian GNU/Linux"',
    'VERSION_ID="12"',
    'VERSION="12 (bookworm)"',
    'VERSION_CODENAME=bookworm',
    'ID=debian',
    'HOME_URL="https://www.debian.org/"',
    'SUPPORT_URL="https://www.debian.org/support"',
    'BUG_REPORT_URL="https://bugs.debian.org/"',
    '',
  ].join('\n');
}

function decode(value: unknown): string {
  return Buffer.from(String(value ?? ''), 'base64').toString('utf8');
}

/** Returns the key/value data of a ConfigMap or (decoded) Secret, or undefined when it does not exist. */
function sourceData(
  cluster: SimCluster,
  kind: 'configmaps' | 'secrets',
  namespace: string,
  name: string,
): Record<string, string> | undefined {
  const obj = cluster.store.get(`/${kind}`, namespace, name);
  if (!obj) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(rec(obj['data']))) out[k] = kind === 'secrets' ? decode(v) : String(v);
  if (kind === 'configmaps') for (const [k, v] of Object.entries(rec(obj['binaryData']))) out[k] = decode(v);
  return out;
}

function fieldRefValue(pod: KubeObject, path: string): string {
  const status = rec(pod['status']);
  const spec = rec(pod['spec']);
  switch (path) {
    case 'metadata.name':
      return pod.metadata.name;
    case 'metadata.namespace':
      return pod.metadata.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'spec.nodeName':
      return String(spec['nodeName'] ?? '');
    case 'spec.serviceAccountName':
      return String(spec['serviceAccountName'] ?? 'default');
    case 'status.podIP':
      return String(status['podIP'] ?? '');
    case 'status.hostIP':
      return String(status['hostIP'] ?? '');
  }
  const label = /^metadata\.labels\['(.+)'\]$/.exec(path);
  if (label) return pod.metadata.labels?.[label[1]!] ?? '';
  const annotation = /^metadata\.annotations\['(.+)'\]$/.exec(path);
  if (annotation) return pod.metadata.annotations?.[annotation[1]!] ?? '';
  return '';
}

/** Kubernetes' docker-link style variables of the services in a namespace (`WEB_SERVICE_HOST`, …). */
function serviceEnv(cluster: SimCluster, namespace: string, links: boolean): [string, string][] {
  const out: [string, string][] = [];
  const add = (name: string, ip: string, ports: Record<string, unknown>[]) => {
    const prefix = name.toUpperCase().replace(/-/g, '_');
    const first = ports[0];
    if (!first || !ip || ip === 'None') return;
    const proto = String(first['protocol'] ?? 'TCP');
    out.push([`${prefix}_SERVICE_HOST`, ip], [`${prefix}_SERVICE_PORT`, String(first['port'])]);
    for (const p of ports) {
      if (p['name'])
        out.push([
          `${prefix}_SERVICE_PORT_${String(p['name']).toUpperCase().replace(/-/g, '_')}`,
          String(p['port']),
        ]);
    }
    out.push([`${prefix}_PORT`, `${proto.toLowerCase()}://${ip}:${String(first['port'])}`]);
    for (const p of ports) {
      const pp = `${prefix}_PORT_${String(p['port'])}_${String(p['protocol'] ?? 'TCP')}`;
      out.push(
        [pp, `${String(p['protocol'] ?? 'TCP').toLowerCase()}://${ip}:${String(p['port'])}`],
        [`${pp}_PROTO`, String(p['protocol'] ?? 'TCP').toLowerCase()],
        [`${pp}_PORT`, String(p['port'])],
        [`${pp}_ADDR`, ip],
      );
    }
  };
  add('kubernetes', '10.96.0.1', [{ name: 'https', port: 443, protocol: 'TCP' }]);
  // The API server's own service is always there; the namespace's services only with service links.
  for (const svc of links ? cluster.store.list('/services', namespace) : []) {
    if (svc.metadata.name === 'kubernetes') continue;
    const spec = rec(svc['spec']);
    add(svc.metadata.name, String(spec['clusterIP'] ?? ''), list(spec['ports']));
  }
  return out;
}

/** Variables an image sets for itself, by well-known image name. */
function imageEnv(image: string): [string, string][] {
  const m = /(?:^|\/)([a-z0-9._-]+)(?::([\w.-]+))?(?:@.*)?$/.exec(image);
  const name = m?.[1] ?? '';
  const tag = m?.[2] ?? 'latest';
  if (name === 'nginx')
    return [
      ['NGINX_VERSION', tag],
      ['NJS_VERSION', '0.8.5'],
      ['PKG_RELEASE', '1~bookworm'],
    ];
  if (name === 'redis')
    return [
      ['REDIS_VERSION', tag],
      ['REDIS_DOWNLOAD_URL', `http://download.redis.io/releases/redis-${tag}.tar.gz`],
    ];
  if (name === 'postgres')
    return [
      ['PG_MAJOR', tag.split('.')[0] ?? tag],
      ['PG_VERSION', tag],
      ['PGDATA', '/var/lib/postgresql/data'],
    ];
  if (name === 'node')
    return [
      ['NODE_VERSION', tag],
      ['YARN_VERSION', '1.22.22'],
    ];
  if (name === 'python')
    return [
      ['PYTHON_VERSION', tag],
      ['LANG', 'C.UTF-8'],
    ];
  return [];
}

/** Returns a pod's container as seen from inside. */
export function containerView(
  cluster: SimCluster,
  pod: KubeObject,
  container: string,
  tty = false,
): ContainerView {
  const spec = rec(pod['spec']);
  const namespace = pod.metadata.namespace ?? '';
  const c = list(spec['containers']).find((x) => x['name'] === container) ?? {};
  const image = String(c['image'] ?? '');
  const hostname = String(spec['hostname'] ?? pod.metadata.name);
  const env: [string, string][] = [
    ['PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    ['HOSTNAME', hostname],
  ];
  if (tty) env.push(['TERM', 'xterm']);
  for (const from of list(c['envFrom'])) {
    const prefix = String(from['prefix'] ?? '');
    const cm = rec(from['configMapRef']);
    const secret = rec(from['secretRef']);
    const data = cm['name']
      ? sourceData(cluster, 'configmaps', namespace, String(cm['name']))
      : secret['name']
        ? sourceData(cluster, 'secrets', namespace, String(secret['name']))
        : undefined;
    for (const [k, v] of Object.entries(data ?? {})) env.push([`${prefix}${k}`, v]);
  }
  for (const e of list(c['env'])) {
    const name = String(e['name'] ?? '');
    const from = rec(e['valueFrom']);
    let value = e['value'] !== undefined ? String(e['value']) : '';
    if (isJsonObject(from['fieldRef']))
      value = fieldRefValue(pod, String(from['fieldRef']['fieldPath'] ?? ''));
    else if (isJsonObject(from['configMapKeyRef'])) {
      const ref = from['configMapKeyRef'];
      value = sourceData(cluster, 'configmaps', namespace, String(ref['name']))?.[String(ref['key'])] ?? '';
    } else if (isJsonObject(from['secretKeyRef'])) {
      const ref = from['secretKeyRef'];
      value = sourceData(cluster, 'secrets', namespace, String(ref['name']))?.[String(ref['key'])] ?? '';
    }
    // Kubernetes expands `$(VAR)` references to earlier variables.
    value = value.replace(
      /\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g,
      (all, v: string) => env.find(([k]) => k === v)?.[1] ?? all,
    );
    const at = env.findIndex(([k]) => k === name);
    if (at >= 0) env[at] = [name, value];
    else env.push([name, value]);
  }
  env.push(...serviceEnv(cluster, namespace, spec['enableServiceLinks'] !== false));
  for (const [k, v] of imageEnv(image)) if (!env.some(([n]) => n === k)) env.push([k, v]);
  env.push(['HOME', '/root']);

  const status = rec(pod['status']);
  const podIP = String(status['podIP'] ?? '');
  const files = new Map<string, string>([
    ['/etc/hostname', `${hostname}\n`],
    [
      '/etc/hosts',
      [
        '# Kubernetes-managed hosts file.',
        '127.0.0.1\tlocalhost',
        '::1\tlocalhost ip6-localhost ip6-loopback',
        'fe00::0\tip6-localnet',
        'fe00::0\tip6-mcastprefix',
        'fe00::1\tip6-allnodes',
        'fe00::2\tip6-allrouters',
        `${podIP}\t${hostname}`,
        '',
      ].join('\n'),
    ],
    [
      '/etc/resolv.conf',
      `search ${namespace}.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n`,
    ],
    ['/etc/os-release', osReleaseOf(image)],
    ['/var/run/secrets/kubernetes.io/serviceaccount/namespace', namespace],
  ]);
  const volumes = new Map(list(spec['volumes']).map((v) => [String(v['name']), v]));
  for (const mount of list(c['volumeMounts'])) {
    const volume = volumes.get(String(mount['name']));
    if (!volume) continue;
    const cm = rec(volume['configMap']);
    const secret = rec(volume['secret']);
    const data = cm['name']
      ? sourceData(cluster, 'configmaps', namespace, String(cm['name']))
      : secret['secretName']
        ? sourceData(cluster, 'secrets', namespace, String(secret['secretName']))
        : undefined;
    if (!data) continue;
    const items = list(cm['items'] ?? secret['items']);
    const base = String(mount['mountPath'] ?? '').replace(/\/+$/, '');
    const subPath = mount['subPath'] ? String(mount['subPath']) : undefined;
    const entries =
      items.length > 0
        ? items.map((i) => [String(i['key']), String(i['path'] ?? i['key'])] as const)
        : Object.keys(data).map((k) => [k, k] as const);
    for (const [key, path] of entries) {
      if (data[key] === undefined) continue;
      if (subPath !== undefined) {
        if (path === subPath) files.set(base, data[key]!);
      } else files.set(`${base}/${path}`, data[key]!);
    }
  }
  const dirs = new Set<string>(['/', ...BASE_DIRS]);
  for (const path of files.keys()) {
    const parts = path.split('/').filter((p) => p);
    for (let i = 1; i < parts.length; i += 1) dirs.add(`/${parts.slice(0, i).join('/')}`);
  }
  return { pod, container, image, hostname, env, files, dirs };
}
