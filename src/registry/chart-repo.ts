/**
 * Helm charts in HTTP chart repositories: the repository's `index.yaml` lists each chart's versions with their
 * archive URLs (absolute, or relative to the repository) and sha256 digests; a pull downloads the archive and
 * checks it against the index. Basic credentials come from `strata registry login HOST`.
 */
import { createHash } from 'node:crypto';
import YAML from 'yaml';
import { StrataError } from '../core/errors.ts';
import { basicAuth, type GetOptions, httpGet } from './http.ts';

/** How to reach a repository. */
export interface RepoAccess {
  ca?: string;
  credentials?: { username: string; password: string };
}

/** One version of a chart as the index lists it. */
export interface IndexEntry {
  version: string;
  urls: string[];
  digest?: string;
  appVersion?: string;
  description?: string;
}

/** Returns the repository URL as given, checked (http or https, no query). */
export function parseRepoUrl(repo: string): URL {
  let url: URL;
  try {
    url = new URL(repo);
  } catch {
    throw new StrataError(
      'ValidationFailed',
      `--repo ${JSON.stringify(repo)} is not a URL; write http(s)://HOST/PATH.`,
      {
        field: 'repo',
        value: repo,
      },
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new StrataError(
      'ValidationFailed',
      `--repo must be an http(s) URL (an oci:// chart is added without --repo).`,
      {
        field: 'repo',
        value: repo,
      },
    );
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

function options(access: RepoAccess, maxBytes?: number): GetOptions {
  return {
    ...(access.ca ? { ca: access.ca } : {}),
    ...(access.credentials
      ? { headers: { authorization: basicAuth(access.credentials.username, access.credentials.password) } }
      : {}),
    ...(maxBytes ? { maxBytes } : {}),
  };
}

function refused(url: URL, status: number, body: Buffer): StrataError {
  const text = body.toString('utf8').slice(0, 300).trim() || 'no details';
  if (status === 401 || status === 403) {
    return new StrataError('RegistryAuthFailed', `${url.host} refused access (HTTP ${status}): ${text}.`, {
      host: url.host,
      status,
    });
  }
  return new StrataError('RegistryUnreachable', `${url.href} answered HTTP ${status}: ${text}.`, {
    host: url.host,
    status,
  });
}

/** Returns the index entries of one chart, as listed; throws `ChartNotFound` when the index has no such chart. */
export async function chartEntries(repo: URL, chart: string, access: RepoAccess): Promise<IndexEntry[]> {
  const indexUrl = new URL('index.yaml', repo);
  const answer = await httpGet(indexUrl.href, options(access, 64 * 1024 * 1024));
  if (answer.status === 404) {
    throw new StrataError('ChartNotFound', `${repo.href} is not a chart repository: it has no index.yaml.`, {
      repo: repo.href,
    });
  }
  if (answer.status !== 200) throw refused(indexUrl, answer.status, answer.body);
  let index: unknown;
  try {
    index = YAML.parse(answer.body.toString('utf8'), { schema: 'core', maxAliasCount: 1000 });
  } catch (error) {
    throw new StrataError(
      'PackInvalid',
      `${indexUrl.href} is not valid YAML: ${(error as Error).message.split('\n')[0]}`,
      {
        reason: 'InvalidIndex',
      },
    );
  }
  const entries = (index as { entries?: Record<string, unknown> } | null)?.entries;
  const list =
    entries && typeof entries === 'object' ? (entries as Record<string, unknown>)[chart] : undefined;
  if (!Array.isArray(list)) {
    const known = entries && typeof entries === 'object' ? Object.keys(entries).slice(0, 20) : [];
    throw new StrataError('ChartNotFound', `${repo.href} has no chart ${chart}.`, {
      repo: repo.href,
      chart,
      known,
    });
  }
  return list
    .filter((e): e is Record<string, unknown> => !!e && typeof e === 'object')
    .map((e) => ({
      version: String(e.version ?? ''),
      urls: Array.isArray(e.urls) ? e.urls.map(String) : [],
      ...(typeof e.digest === 'string' ? { digest: e.digest } : {}),
      ...(e.appVersion !== undefined ? { appVersion: String(e.appVersion) } : {}),
      ...(typeof e.description === 'string' ? { description: e.description } : {}),
    }))
    .filter((e) => e.version !== '');
}

/** A pulled chart archive with its sha256 digest. */
export interface PulledArchive {
  archive: Buffer;
  digest: string;
  url: string;
}

/** Pulls one version of a chart; throws `ChartNotFound` for an unknown version, `DigestMismatch` on a bad archive. */
export async function pullRepoChart(
  repo: URL,
  chart: string,
  version: string,
  access: RepoAccess,
): Promise<PulledArchive> {
  const entries = await chartEntries(repo, chart, access);
  const entry = entries.find((e) => e.version === version);
  if (!entry) {
    throw new StrataError('ChartNotFound', `${repo.href} has no version ${version} of ${chart}.`, {
      repo: repo.href,
      chart,
      version,
      known: entries.map((e) => e.version).slice(0, 20),
    });
  }
  const first = entry.urls[0];
  if (!first) {
    throw new StrataError('PackInvalid', `${repo.href}: ${chart} ${version} lists no archive URL.`, {
      reason: 'InvalidIndex',
    });
  }
  const archiveUrl = new URL(first, repo);
  // Credentials go to the repository's own host only.
  const sameHost = archiveUrl.host === repo.host;
  const answer = await httpGet(
    archiveUrl.href,
    options(sameHost ? access : { ...access, credentials: undefined }, 20 * 1024 * 1024),
  );
  if (answer.status === 404) {
    throw new StrataError('ChartNotFound', `${archiveUrl.href} is not there (HTTP 404).`, {
      url: archiveUrl.href,
    });
  }
  if (answer.status !== 200) throw refused(archiveUrl, answer.status, answer.body);
  const hex = createHash('sha256').update(answer.body).digest('hex');
  if (entry.digest && entry.digest.replace(/^sha256:/, '') !== hex) {
    throw new StrataError(
      'DigestMismatch',
      `${archiveUrl.href} reads as sha256:${hex}, but the repository's index says ${entry.digest}.`,
      { expected: entry.digest, actual: `sha256:${hex}`, url: archiveUrl.href },
    );
  }
  return { archive: answer.body, digest: `sha256:${hex}`, url: archiveUrl.href };
}
