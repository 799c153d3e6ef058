/**
 * A Kubernetes API client made from a kubeconfig, for any conformant API server — Strata's simulated clusters
 * and real ones alike (it knows nothing of simulation). Server-side apply under one field manager, reads,
 * label-selected lists, deletes and watches, through `@kubernetes/client-node` with a shared keep-alive agent.
 */
import type { RequestOptions } from 'node:https';
import {
  type ApiException,
  type Configuration,
  createConfiguration,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  type RequestContext,
  type ResponseContext,
  ServerConfiguration,
  type V1APIResource,
  Watch,
} from '@kubernetes/client-node';
import { StrataError } from '../core/errors.ts';
import type { KubeObject, ObjectRef } from '../core/model.ts';
import { builtinKind, isClusterScoped } from '../core/objects.ts';
import { sharedAgent } from './agents.ts';

/** Options of `KubeClient.fromKubeconfig`. */
export interface KubeClientOptions {
  /** The field manager of server-side apply (default `strata`). */
  fieldManager?: string;
}

/** Filters of `list`. */
export interface ListOptions {
  /** Only this namespace (default: all namespaces for namespaced kinds). */
  namespace?: string;
  labelSelector?: string;
}

/** A watch event: the change type and the object as it is after (or, for DELETED, before) the change. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject;
}

/** A running watch; `stop` ends it. */
export interface WatchHandle {
  stop(): void;
}

/** The field manager Strata applies under. */
export const STRATA_FIELD_MANAGER = 'strata';

/**
 * The generic object API, exposing its resource path resolution (discovery-backed, cached per client) and
 * answering objects as the server sent them: plain JSON, no typed-model round trip. The library's own
 * deserialisation turns every object into class instances with `Date`s, which Strata then had to turn back into
 * JSON — a third of the client's CPU time per call.
 */
class ObjectApi extends KubernetesObjectApi {
  /** Discovery requests in flight, per group/version: concurrent first calls share one. */
  private readonly discovering = new Map<string, Promise<V1APIResource | undefined>>();

  /** Returns the API path of an object (or of its collection for `list`). */
  pathOf(spec: KubernetesObject, action: 'read' | 'list'): Promise<string> {
    return this.specUriPath(spec, action);
  }

  /**
   * Resolves a kind to its resource: GA built-in kinds from their fixed names (no discovery request — a new
   * client's first calls to a cluster were two discovery reads before any work), every other kind through the
   * server's discovery, cached per client by the library, with one request per group/version at a time.
   */
  protected override async resource(
    apiVersion: string,
    kind: string,
    options?: Configuration,
  ): Promise<V1APIResource | undefined> {
    const known = builtinKind(apiVersion, kind);
    if (known) {
      return {
        kind,
        name: known.plural,
        namespaced: known.namespaced,
        singularName: kind.toLowerCase(),
        verbs: [],
      };
    }
    const inFlight = this.discovering.get(apiVersion);
    if (inFlight) {
      await inFlight.catch(() => undefined);
      const cached = this.apiVersionResourceCache[apiVersion]?.resources.find((r) => r.kind === kind);
      if (cached) return cached;
    }
    const request = super.resource(apiVersion, kind, options);
    this.discovering.set(apiVersion, request);
    try {
      return await request;
    } finally {
      if (this.discovering.get(apiVersion) === request) this.discovering.delete(apiVersion);
    }
  }

  protected override async processResponse<T extends KubernetesObject>(
    response: ResponseContext,
    type?: string,
  ): Promise<T> {
    const ok = response.httpStatusCode >= 200 && response.httpStatusCode <= 299;
    const json = /[/+]json(\s*;|$)/.test(response.headers['content-type'] ?? '');
    // Typed answers (a `V1Status`, discovery) and errors keep the library's handling.
    if (!ok || !json || type !== undefined) return super.processResponse(response, type);
    return JSON.parse(await response.body.text()) as T;
  }
}

/** Returns the HTTP status of a failed API call, or undefined when it did not reach the server. */
export function apiStatusOf(error: unknown): number | undefined {
  const code = (error as Partial<ApiException<unknown>> | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** Turns a failed call into a StrataError naming the object, keeping the HTTP status in details. */
function callFailed(action: string, what: string, error: unknown): StrataError {
  const status = apiStatusOf(error);
  const body = (error as { body?: unknown } | null)?.body;
  let reason = error instanceof Error ? error.message : String(error);
  if (typeof body === 'string') {
    try {
      reason = (JSON.parse(body) as { message?: string }).message ?? reason;
    } catch {
      reason = body.slice(0, 300);
    }
  }
  return new StrataError(
    'Unavailable',
    `Kubernetes API: ${action} ${what} failed${status ? ` (${status})` : ''}: ${reason}`,
    {
      action,
      object: what,
      ...(status === undefined ? {} : { status }),
    },
  );
}

function describe(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

/** A client of one Kubernetes API server, as reached by one kubeconfig's current context. */
export class KubeClient {
  readonly server: string;
  private readonly objects: ObjectApi;
  private readonly watcher: Watch;

  private constructor(
    private readonly kubeconfig: KubeConfig,
    private readonly fieldManager: string,
  ) {
    const cluster = kubeconfig.getCurrentCluster();
    if (!cluster) {
      throw new StrataError(
        'ValidationFailed',
        'The kubeconfig has no current cluster; set current-context.',
        {
          field: 'kubeconfig',
        },
      );
    }
    this.server = cluster.server;
    const tls = tlsOf(kubeconfig);
    // Awaited per request; the no-op handler only keeps an early failure from counting as unhandled.
    tls.catch(() => {});
    const auth = {
      getName: () => 'strata-kubeconfig',
      applySecurityAuthentication: async (context: RequestContext) => {
        await kubeconfig.applySecurityAuthentication(context);
        context.setAgent(sharedAgent(await tls));
      },
    };
    const configuration: Configuration = createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: auth },
    });
    this.objects = new ObjectApi(configuration);
    this.watcher = new Watch(kubeconfig);
  }

  /** Returns a client for the kubeconfig's current context; `ValidationFailed` naming `kubeconfig` when unreadable. */
  static fromKubeconfig(text: string, options: KubeClientOptions = {}): KubeClient {
    const kc = new KubeConfig();
    try {
      kc.loadFromString(text);
    } catch (error) {
      throw new StrataError(
        'ValidationFailed',
        `The kubeconfig cannot be read: ${(error as Error).message}`,
        {
          field: 'kubeconfig',
        },
      );
    }
    return new KubeClient(kc, options.fieldManager ?? STRATA_FIELD_MANAGER);
  }

  /** Applies an object with server-side apply (forcing ownership of its fields); returns the live object. */
  async apply(object: KubeObject): Promise<KubeObject> {
    try {
      const live = await this.objects.patch(
        object as KubernetesObject,
        undefined,
        undefined,
        this.fieldManager,
        true,
        PatchStrategy.ServerSideApply,
      );
      return live as KubeObject;
    } catch (error) {
      throw callFailed('apply', describe(refOfObject(object)), error);
    }
  }

  /** Returns the live object, or undefined when it does not exist. */
  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    try {
      return (await this.objects.read(specOf(ref))) as KubeObject;
    } catch (error) {
      if (apiStatusOf(error) === 404) return undefined;
      throw callFailed('read', describe(ref), error);
    }
  }

  /** Deletes an object (background propagation); returns false when it was already gone. */
  async delete(ref: ObjectRef): Promise<boolean> {
    try {
      await this.objects.delete(specOf(ref), undefined, undefined, undefined, undefined, 'Background');
      return true;
    } catch (error) {
      if (apiStatusOf(error) === 404) return false;
      throw callFailed('delete', describe(ref), error);
    }
  }

  /** Returns the objects of a kind, filtered by namespace and label selector. */
  async list(apiVersion: string, kind: string, options: ListOptions = {}): Promise<KubeObject[]> {
    try {
      const list = await this.objects.list(
        apiVersion,
        kind,
        options.namespace,
        undefined,
        undefined,
        undefined,
        undefined,
        options.labelSelector,
      );
      return list.items.map((item) => {
        // List items carry no apiVersion/kind on the wire; give them back so callers can make references.
        const obj = item as KubeObject;
        obj.apiVersion ??= apiVersion;
        obj.kind ??= kind;
        return obj;
      });
    } catch (error) {
      throw callFailed('list', `${kind} (${apiVersion})`, error);
    }
  }

  /** Returns the server's Kubernetes version (`gitVersion`), e.g. `v1.32.2`. */
  async serverVersion(): Promise<string> {
    const init = await this.kubeconfig.applyToFetchOptions({});
    const response = await fetch(`${this.server}/version`, init as RequestInit).catch((error: unknown) => {
      throw callFailed('read', 'version', error);
    });
    if (!response.ok) throw callFailed('read', 'version', new Error(`HTTP ${response.status}`));
    return ((await response.json()) as { gitVersion?: string }).gitVersion ?? 'unknown';
  }

  /**
   * Watches a kind (all namespaces) from now on, calling `onEvent` per change and `onEnd` once when the stream
   * ends (server timeout, error or `stop`); returns a handle to stop it.
   */
  async watch(
    apiVersion: string,
    kind: string,
    options: { labelSelector?: string },
    onEvent: (event: WatchEvent) => void,
    onEnd: (error: unknown) => void,
  ): Promise<WatchHandle> {
    const path = await this.objects.pathOf({ apiVersion, kind, metadata: {} }, 'list');
    const query: Record<string, string | boolean> = { allowWatchBookmarks: true };
    if (options.labelSelector) query['labelSelector'] = options.labelSelector;
    const controller = await this.watcher.watch(
      path,
      query,
      (type, object) => onEvent({ type: type as WatchEvent['type'], object: object as KubeObject }),
      onEnd,
    );
    return { stop: () => controller.abort() };
  }
}

function refOfObject(object: KubeObject): ObjectRef {
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    namespace: object.metadata.namespace ?? '',
    name: object.metadata.name,
  };
}

function specOf(ref: ObjectRef): {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
} {
  return {
    apiVersion: ref.apiVersion,
    kind: ref.kind,
    metadata:
      isClusterScoped(ref.kind) || ref.namespace === ''
        ? { name: ref.name }
        : { name: ref.name, namespace: ref.namespace },
  };
}

/** Reads the kubeconfig's TLS material once (CA, client certificate, verification) for the shared agent. */
async function tlsOf(kubeconfig: KubeConfig): Promise<{
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  rejectUnauthorized?: boolean;
  servername?: string;
}> {
  const options: RequestOptions = {};
  await kubeconfig.applyToHTTPSOptions(options);
  const cluster = kubeconfig.getCurrentCluster();
  return {
    ...(options.ca === undefined ? {} : { ca: options.ca as string | Buffer }),
    ...(options.cert === undefined ? {} : { cert: options.cert as string | Buffer }),
    ...(options.key === undefined ? {} : { key: options.key as string | Buffer }),
    ...(cluster?.skipTLSVerify ? { rejectUnauthorized: false } : {}),
    ...(cluster?.tlsServerName ? { servername: cluster.tlsServerName } : {}),
  };
}
