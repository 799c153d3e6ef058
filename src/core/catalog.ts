/**
 * The pack catalog: every known pack version by name, built-in and user-registered. In-memory and pure;
 * `src/catalog/load.ts` fills it from the `packs/` folder.
 */
import { StrataError } from './errors.ts';
import type { Pack } from './model.ts';
import { compareSemver } from './semver.ts';

/** The set of pack versions a Strata installation knows, looked up by name and version. */
export class Catalog {
  // name → version → pack; versions are kept sorted on insert so lookups of the list stay cheap.
  readonly #byName = new Map<string, Map<string, Pack>>();
  readonly #sortedVersions = new Map<string, string[]>();

  constructor(packs: Pack[] = []) {
    for (const pack of packs) this.add(pack);
  }

  /** Returns the pack `name@version`, or undefined when the catalog does not hold it. */
  get(name: string, version: string): Pack | undefined {
    return this.#byName.get(name)?.get(version);
  }

  /** Returns the pack `name@version`; throws `PackNotFound` naming it and the versions that do exist. */
  require(name: string, version: string): Pack {
    const pack = this.get(name, version);
    if (pack) return pack;
    const known = this.versions(name);
    const hint =
      known.length > 0
        ? `known versions of ${name}: ${known.join(', ')}`
        : `the catalog has no pack named '${name}'`;
    throw new StrataError('PackNotFound', `Pack ${name}@${version} is not in the catalog; ${hint}.`, {
      field: 'pack',
      pack: name,
      version,
      knownVersions: known,
    });
  }

  /** Returns the versions of a pack in ascending semver order ([] for an unknown name). */
  versions(name: string): string[] {
    return [...(this.#sortedVersions.get(name) ?? [])];
  }

  /** Returns every pack name, sorted. */
  names(): string[] {
    return [...this.#byName.keys()].sort();
  }

  /** Returns every pack, by name then ascending version. */
  list(): Pack[] {
    return this.names().flatMap((name) => this.versions(name).map((v) => this.#byName.get(name)!.get(v)!));
  }

  /** Adds a pack; refuses a second `name@version` with `AlreadyExists` (versions are immutable). */
  add(pack: Pack): void {
    let versions = this.#byName.get(pack.name);
    if (versions?.has(pack.version)) {
      throw new StrataError('AlreadyExists', `Pack ${pack.name}@${pack.version} is already in the catalog.`, {
        field: 'version',
        pack: pack.name,
        version: pack.version,
      });
    }
    const sibling = versions?.values().next().value;
    if (sibling && (sibling.layer !== pack.layer || sibling.distribution !== pack.distribution)) {
      // One name is one product: upgrades compare versions of a name, so its layer cannot change between them.
      throw new StrataError(
        'PackInvalid',
        `Pack ${pack.name}@${pack.version} is a ${describeKind(pack)} pack, but ${pack.name}@${sibling.version} is a ${describeKind(sibling)} pack; every version of a pack keeps its layer and distribution.`,
        { field: 'layer', pack: pack.name, version: pack.version, existingVersion: sibling.version },
      );
    }
    if (!versions) {
      versions = new Map();
      this.#byName.set(pack.name, versions);
    }
    versions.set(pack.version, pack);
    this.#sortedVersions.set(pack.name, [...versions.keys()].sort(compareSemver));
  }
}

function describeKind(pack: Pack): string {
  return pack.distribution ? `${pack.layer} (${pack.distribution})` : pack.layer;
}
