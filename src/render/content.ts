/**
 * Pack content on disk for the tools that read files: a chart archive as `helm template` takes it, a kustomize
 * or manifest folder unpacked for `kubectl kustomize`. Archives come from the store by digest (`ContentSource`),
 * are checked against it, and are written once per digest into a private folder of this process.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { StrataError } from '../core/errors.ts';
import type { Pack } from '../core/model.ts';
import { readArchive } from './archive.ts';

/** Where archives come from: Strata's store (`store/pack-contents.ts`). */
export interface ContentSource {
  /** Returns the archive stored under `digest`, or undefined when none is. */
  get(digest: string): Promise<Buffer | undefined>;
}

/** A private folder of materialised pack content, removed by `close()`. */
export class ContentWorkspace {
  readonly root: string;
  readonly #ready = new Map<string, Promise<string>>();
  /** Archives being proven before they are stored (a pack being added), by digest. */
  readonly #staged = new Map<string, Buffer>();

  constructor(private readonly source: ContentSource | null) {
    this.root = mkdtempSync(join(tmpdir(), 'strata-render-'));
  }

  /** Returns the path of the pack's chart archive (`.tgz`), written on first use. */
  chartArchive(pack: Pack): Promise<string> {
    return this.#once(`${digestOf(pack)}.tgz`, async (path) => {
      await writeFile(path, await this.#archive(pack), { mode: 0o600 });
    });
  }

  /** Returns the folder the pack's kustomize or manifest content is unpacked in, written on first use. */
  contentFolder(pack: Pack): Promise<string> {
    return this.#once(digestOf(pack).replace(':', '-'), async (path) => {
      const files = await readArchive(await this.#archive(pack), 'TemplateRenderFailed');
      for (const [name, content] of files) {
        const target = join(path, name);
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, content, { mode: 0o600 });
      }
    });
  }

  /** Makes an archive readable by digest before it is stored; returns a function that forgets it again. */
  stage(digest: string, data: Buffer): () => void {
    this.#staged.set(digest, data);
    return () => {
      if (this.#staged.get(digest) === data) this.#staged.delete(digest);
    };
  }

  /** Returns a fresh scratch folder for one render (values files, overlays). */
  async scratch(): Promise<string> {
    const dir = join(
      this.root,
      'scratch',
      createHash('sha256').update(`${Math.random()}${process.hrtime.bigint()}`).digest('hex').slice(0, 16),
    );
    await mkdir(dir, { recursive: true });
    return dir;
  }

  /** Removes the folder and everything in it. */
  close(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  async #archive(pack: Pack): Promise<Buffer> {
    const digest = digestOf(pack);
    const staged = this.#staged.get(digest);
    if (staged) return staged;
    if (!this.source) {
      throw new StrataError(
        'Unavailable',
        `Pack ${pack.name}@${pack.version}: this process has no pack content store.`,
        {
          pack: pack.name,
        },
      );
    }
    const data = await this.source.get(digest);
    if (!data) {
      throw new StrataError(
        'Unavailable',
        `Pack ${pack.name}@${pack.version}: its content ${digest} is not in the store.`,
        { pack: pack.name, version: pack.version, digest },
      );
    }
    const actual = `sha256:${createHash('sha256').update(data).digest('hex')}`;
    if (actual !== digest) {
      throw new StrataError(
        'Internal',
        `Pack ${pack.name}@${pack.version}: stored content ${digest} reads as ${actual}.`,
        {
          digest,
          actual,
        },
      );
    }
    return data;
  }

  #once(name: string, write: (path: string) => Promise<void>): Promise<string> {
    let ready = this.#ready.get(name);
    if (!ready) {
      const path = join(this.root, name);
      const tmp = `${path}.tmp`;
      ready = (async () => {
        await write(tmp);
        await rename(tmp, path);
        return path;
      })();
      this.#ready.set(name, ready);
      ready.catch(() => this.#ready.delete(name));
    }
    return ready;
  }
}

function digestOf(pack: Pack): string {
  if (!pack.content) {
    throw new StrataError(
      'Internal',
      `Pack ${pack.name}@${pack.version} (${pack.kind}) has no stored content.`,
      {
        pack: pack.name,
      },
    );
  }
  return pack.content.digest;
}
