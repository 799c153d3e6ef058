/**
 * Helm charts in OCI registries (the distribution spec Helm 3.8+ pushes to): list a chart's versions (tags),
 * pull one — manifest, then the chart layer's blob — and pin what was pulled by the manifest's digest, checking
 * every blob against its digest. Authentication as registries do it: anonymous first, then the bearer-token
 * flow (`WWW-Authenticate: Bearer realm=…`) or basic credentials, from `strata registry login`.
 */
import { createHash } from 'node:crypto';
import { StrataError } from '../core/errors.ts';
import { basicAuth, type GetResult, httpGet } from './http.ts';

/** The media type of a Helm chart layer. */
export const HELM_CHART_LAYER = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
const MANIFEST_TYPES =
  'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json';

/** An `oci://host[:port]/path/chart` reference, parsed. */
export interface OciReference {
  host: string;
  /** The repository path (`charts/podinfo`). */
  repository: string;
  /** The chart's name (the last path segment). */
  chart: string;
}

/** How to reach a registry. */
export interface OciAccess {
  plainHttp?: boolean;
  ca?: string;
  credentials?: { username: string; password: string };
}

/** Returns the parts of an `oci://` reference; throws `ValidationFailed` for anything else. */
export function parseOciReference(ref: string): OciReference {
  const match = /^oci:\/\/([^/\s]+)\/([^\s:@]+)$/.exec(ref);
  if (!match || match[2]!.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new StrataError(
      'ValidationFailed',
      `${JSON.stringify(ref)} is not an OCI chart reference; write oci://HOST[:PORT]/PATH/CHART (no tag: give --version).`,
      { field: 'source', value: ref },
    );
  }
  const repository = match[2]!.toLowerCase();
  return { host: match[1]!, repository, chart: repository.split('/').pop()! };
}

/** Helm stores a chart version's `+` as `_` in its tag (OCI tags cannot hold `+`). */
function tagOf(version: string): string {
  return version.replaceAll('+', '_');
}

/** A session with one registry: remembers the bearer token it was given. */
class OciSession {
  #authorization: string | undefined;

  constructor(
    private readonly ref: OciReference,
    private readonly access: OciAccess,
  ) {}

  url(path: string): string {
    return `${this.access.plainHttp ? 'http' : 'https'}://${this.ref.host}/v2/${this.ref.repository}/${path}`;
  }

  async get(url: string, accept?: string, maxBytes?: number): Promise<GetResult> {
    const headers = (): Record<string, string> => ({
      ...(accept ? { accept } : {}),
      ...(this.#authorization ? { authorization: this.#authorization } : {}),
    });
    let result = await httpGet(url, {
      headers: headers(),
      ...this.#tls(),
      ...(maxBytes ? { maxBytes } : {}),
    });
    if (result.status === 401 && !this.#authorization) {
      this.#authorization = await this.#authorize(String(result.headers['www-authenticate'] ?? ''));
      if (this.#authorization) {
        result = await httpGet(url, {
          headers: headers(),
          ...this.#tls(),
          ...(maxBytes ? { maxBytes } : {}),
        });
      }
    }
    if (result.status === 401 || result.status === 403) {
      throw new StrataError(
        'RegistryAuthFailed',
        `${this.ref.host} refused access to ${this.ref.repository} (HTTP ${result.status}): ${upstreamText(result)}${this.access.credentials ? '' : ' — sign in with strata registry login'}.`,
        { host: this.ref.host, status: result.status },
      );
    }
    return result;
  }

  #tls(): { ca?: string } {
    return this.access.ca ? { ca: this.access.ca } : {};
  }

  /** Returns the Authorization header a challenge asks for, or undefined when it cannot be met. */
  async #authorize(challenge: string): Promise<string | undefined> {
    const creds = this.access.credentials;
    if (/^basic/i.test(challenge)) return creds ? basicAuth(creds.username, creds.password) : undefined;
    if (!/^bearer/i.test(challenge)) return undefined;
    const params = Object.fromEntries(
      [...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!.toLowerCase(), m[2]!]),
    );
    if (!params.realm) return undefined;
    const tokenUrl = new URL(params.realm);
    if (params.service) tokenUrl.searchParams.set('service', params.service);
    tokenUrl.searchParams.set('scope', params.scope ?? `repository:${this.ref.repository}:pull`);
    const answer = await httpGet(tokenUrl.href, {
      headers: creds ? { authorization: basicAuth(creds.username, creds.password) } : {},
      ...this.#tls(),
    });
    if (answer.status !== 200) {
      throw new StrataError(
        'RegistryAuthFailed',
        `${tokenUrl.host} gave no token for ${this.ref.repository} (HTTP ${answer.status}): ${upstreamText(answer)}.`,
        { host: this.ref.host, status: answer.status },
      );
    }
    const body = JSON.parse(answer.body.toString('utf8')) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    return token ? `Bearer ${token}` : undefined;
  }
}

function upstreamText(result: GetResult): string {
  const text = result.body.toString('utf8').slice(0, 500);
  try {
    const parsed = JSON.parse(text) as { errors?: Array<{ message?: string; code?: string }> };
    const first = parsed.errors?.[0];
    if (first) return `${first.code ?? ''} ${first.message ?? ''}`.trim();
  } catch {
    // not JSON: the text itself
  }
  return text.trim() || 'no details';
}

/** Returns the versions a registry holds of a chart (its tags that are versions), newest first is the caller's sort. */
export async function listOciTags(ref: OciReference, access: OciAccess): Promise<string[]> {
  const session = new OciSession(ref, access);
  const tags: string[] = [];
  let url: string | null = session.url('tags/list?n=1000');
  for (let page = 0; url && page < 100; page += 1) {
    const result = await session.get(url);
    if (result.status === 404) {
      throw new StrataError('ChartNotFound', `${ref.host} has no chart ${ref.repository}.`, {
        host: ref.host,
        repository: ref.repository,
      });
    }
    if (result.status !== 200) {
      throw new StrataError(
        'RegistryUnreachable',
        `${ref.host} answered HTTP ${result.status} listing ${ref.repository}: ${upstreamText(result)}.`,
        { host: ref.host, status: result.status },
      );
    }
    const body = JSON.parse(result.body.toString('utf8')) as { tags?: string[] | null };
    tags.push(...(body.tags ?? []));
    const link = String(result.headers.link ?? '');
    const next = /<([^>]+)>;\s*rel="?next"?/.exec(link)?.[1];
    url = next ? new URL(next, result.url).href : null;
  }
  return tags.map((t) => t.replaceAll('_', '+'));
}

/** A pulled chart: its archive and the manifest digest that pins it. */
export interface PulledChart {
  archive: Buffer;
  digest: string;
}

/** Pulls one version of a chart; throws `ChartNotFound`, `DigestMismatch`, `RegistryAuthFailed`, … */
export async function pullOciChart(
  ref: OciReference,
  version: string,
  access: OciAccess,
): Promise<PulledChart> {
  const session = new OciSession(ref, access);
  const manifest = await session.get(
    session.url(`manifests/${tagOf(version)}`),
    MANIFEST_TYPES,
    4 * 1024 * 1024,
  );
  if (manifest.status === 404) {
    throw new StrataError(
      'ChartNotFound',
      `${ref.host}/${ref.repository} has no version ${version}: ${upstreamText(manifest)}.`,
      { host: ref.host, repository: ref.repository, version },
    );
  }
  if (manifest.status !== 200) {
    throw new StrataError(
      'RegistryUnreachable',
      `${ref.host} answered HTTP ${manifest.status} for ${ref.repository}:${version}: ${upstreamText(manifest)}.`,
      { host: ref.host, status: manifest.status },
    );
  }
  const digest = `sha256:${createHash('sha256').update(manifest.body).digest('hex')}`;
  const claimed = manifest.headers['docker-content-digest'];
  if (typeof claimed === 'string' && claimed.startsWith('sha256:') && claimed !== digest) {
    throw new StrataError(
      'DigestMismatch',
      `${ref.repository}:${version}: the manifest reads as ${digest}, the registry says ${claimed}.`,
      {
        expected: claimed,
        actual: digest,
      },
    );
  }
  let body: { layers?: Array<{ mediaType?: string; digest?: string; size?: number }> };
  try {
    body = JSON.parse(manifest.body.toString('utf8'));
  } catch {
    throw new StrataError(
      'PackInvalid',
      `${ref.repository}:${version}: the registry's manifest is not JSON.`,
      {
        reason: 'InvalidManifest',
      },
    );
  }
  const layer = body.layers?.find((l) => l.mediaType === HELM_CHART_LAYER);
  if (!layer?.digest || !/^sha256:[0-9a-f]{64}$/.test(layer.digest)) {
    throw new StrataError(
      'PackInvalid',
      `${ref.repository}:${version} is not a Helm chart: its manifest has no ${HELM_CHART_LAYER} layer.`,
      { reason: 'NotAChart', mediaTypes: (body.layers ?? []).map((l) => l.mediaType ?? null) },
    );
  }
  const blob = await session.get(session.url(`blobs/${layer.digest}`), undefined, 20 * 1024 * 1024);
  if (blob.status !== 200) {
    throw new StrataError(
      blob.status === 404 ? 'ChartNotFound' : 'RegistryUnreachable',
      `${ref.host} answered HTTP ${blob.status} for the chart blob ${layer.digest}: ${upstreamText(blob)}.`,
      { host: ref.host, status: blob.status },
    );
  }
  const actual = `sha256:${createHash('sha256').update(blob.body).digest('hex')}`;
  if (actual !== layer.digest) {
    throw new StrataError(
      'DigestMismatch',
      `${ref.repository}:${version}: the chart blob reads as ${actual}, its manifest says ${layer.digest}.`,
      {
        expected: layer.digest,
        actual,
      },
    );
  }
  return { archive: blob.body, digest };
}
