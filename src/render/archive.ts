/**
 * Gzipped tar archives — Helm charts as registries serve them, and the folders Strata packs for kustomize and
 * manifest packs — read into memory and written back, under limits: archives come from registries and uploads
 * Strata does not control, so a decompression bomb, a path that climbs out (`../`), a link or a device file is
 * refused rather than followed.
 */
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { StrataError, type StrataErrorCode } from '../core/errors.ts';

/** A file of an archive: its path (forward slashes, no leading `./`) and content. */
export type ArchiveFiles = Map<string, Buffer>;

/** Limits of one archive. */
export interface ArchiveLimits {
  /** Bytes once decompressed. */
  maxBytes: number;
  maxFiles: number;
}

/** Defaults: 64 MiB decompressed, 5,000 files. */
export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = { maxBytes: 64 * 1024 * 1024, maxFiles: 5000 };

/** Returns the regular files of a gzipped tar; throws `code` for a corrupt or unsafe archive. */
export async function readArchive(
  data: Uint8Array,
  code: StrataErrorCode,
  limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
): Promise<ArchiveFiles> {
  let plain: Buffer;
  try {
    plain = gunzipSync(data, { maxOutputLength: limits.maxBytes });
  } catch (error) {
    const reason = /maxOutputLength|buffer/i.test((error as Error).message)
      ? `it holds more than ${limits.maxBytes} bytes once unpacked`
      : `it is not a gzipped archive (${(error as Error).message})`;
    throw new StrataError(code, `The archive cannot be read: ${reason}.`, { reason: 'CorruptArchive' });
  }
  const files: ArchiveFiles = new Map();
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const name = header.name.replace(/^\.\//, '');
      const fail = (why: string) => {
        stream.resume();
        reject(
          new StrataError(code, `The archive cannot be used: ${why}.`, {
            reason: 'UnsafeArchive',
            path: name,
          }),
        );
      };
      if (header.type === 'directory') {
        stream.on('end', next);
        stream.resume();
        return;
      }
      if (header.type !== 'file' && header.type !== 'contiguous-file') {
        return fail(`${name} is a ${header.type}, and only plain files are allowed`);
      }
      if (name.startsWith('/') || name.split('/').some((part) => part === '..') || name.includes('\\')) {
        return fail(`the path ${name} leaves the archive`);
      }
      if (files.size >= limits.maxFiles) return fail(`it holds more than ${limits.maxFiles} files`);
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
      stream.on('end', () => {
        files.set(name, Buffer.concat(chunks));
        next();
      });
      stream.on('error', reject);
    });
    extract.on('finish', resolve);
    extract.on('error', (error: Error) =>
      reject(
        new StrataError(code, `The archive cannot be read: ${error.message}.`, { reason: 'CorruptArchive' }),
      ),
    );
  });
  Readable.from([plain]).pipe(extract);
  await done;
  return files;
}

/** Returns a gzipped tar of the files (sorted, fixed times and modes, so equal files give equal bytes). */
export async function writeArchive(files: ReadonlyMap<string, Buffer>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
  const ended = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const name of [...files.keys()].sort()) {
    const content = files.get(name)!;
    await new Promise<void>((resolve, reject) =>
      pack.entry({ name, size: content.length, mode: 0o644, mtime: new Date(0) }, content, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  }
  pack.finalize();
  await ended;
  return gzipSync(Buffer.concat(chunks), { level: 9 });
}
