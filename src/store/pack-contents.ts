/**
 * Pack content: the archives of chart, manifest and kustomize packs, content-addressed (sha256), written once and
 * read by the renderer. Two packs with the same archive share one row; rows are never changed.
 */
import { createHash } from 'node:crypto';
import type { Executor } from './schema.ts';

/** What an archive holds: a Helm chart (.tgz as pulled), or a folder Strata packed (kustomize, manifests). */
export type ContentMedia = 'helm-chart' | 'kustomize' | 'manifest';

/** Returns the digest an archive is stored under: `sha256:<hex>`, as OCI registries name blobs. */
export function contentDigest(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Stores an archive (a no-op when it is already stored); returns its digest. */
export async function putPackContent(executor: Executor, media: ContentMedia, data: Buffer): Promise<string> {
  const digest = contentDigest(data);
  await executor
    .insertInto('pack_contents')
    .values({ digest, media, size: data.length, data })
    .onConflict((oc) => oc.column('digest').doNothing())
    .execute();
  return digest;
}

/** Returns a stored archive, or undefined when no archive has that digest. */
export async function getPackContent(executor: Executor, digest: string): Promise<Buffer | undefined> {
  const row = await executor
    .selectFrom('pack_contents')
    .select('data')
    .where('digest', '=', digest)
    .executeTakeFirst();
  return row ? Buffer.from(row.data) : undefined;
}

/** Returns the store as the renderer's source of pack archives. */
export function storeContentSource(executor: Executor): { get(digest: string): Promise<Buffer | undefined> } {
  return { get: (digest) => getPackContent(executor, digest) };
}
