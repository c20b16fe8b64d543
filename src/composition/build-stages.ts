import type { BedrockGuardrailOptions } from '../providers/bedrock/apply-guardrail.ts';
import type { GuardrailVerdict, RemoteGuardrail } from '../core/remote-guardrail.ts';
import type { Clock } from '../core/clock.ts';
import type { EventSink } from '../core/gateway-events.ts';
import type { EmbeddingRequest } from '../core/embedding.ts';
import type { StateStore } from '../core/state-store.ts';
import type { CacheConfig } from '../config/cache-schema.ts';
import type { SpillwayConfig } from '../config/schema.ts';
import type { ChatRequest } from '../core/chat-request.ts';
import type { ChatResult, EmbedResult, RequestContext } from '../pipeline/gateway.ts';
import type { RequestStage, StageResolver } from '../pipeline/request-stage.ts';
import { composeStages, noStages } from '../pipeline/request-stages.ts';
import { MemoryAnswerStore, SharedAnswerStore, type AnswerStore } from '../stages/cache/answer-store.ts';
import { ExactLocator, type AnswerLocator } from '../stages/cache/answer-locator.ts';
import { ResponseCacheStage } from '../stages/cache/response-cache-stage.ts';
import { SemanticLocator, type EmbedText } from '../stages/cache/semantic-locator.ts';
import { SharedVectors } from '../stages/cache/shared-vectors.ts';
import { VectorIndex } from '../stages/cache/vector-index.ts';
import { GuardrailCatalog } from '../stages/guardrails/build-guardrails.ts';
import { createClassifier, type Classify } from '../stages/route/classifier.ts';
import { RouteStage } from '../stages/route/route-stage.ts';

/**
 * A Bedrock guardrail's ApplyGuardrail client, made on its first call. Bedrock's transport (SigV4
 * signing and the AWS SDK's credential chain, ~2 MB of heap) then loads only in a gateway whose
 * guardrails call Bedrock, not in every gateway.
 */
class BedrockGuardrailOnFirstUse implements RemoteGuardrail {
  private readonly options: BedrockGuardrailOptions;
  private client: Promise<RemoteGuardrail> | undefined;

  constructor(options: BedrockGuardrailOptions) {
    this.options = options;
  }

  async apply(
    source: 'INPUT' | 'OUTPUT',
    texts: readonly string[],
    signal: AbortSignal,
  ): Promise<GuardrailVerdict> {
    this.client ??= import('../providers/bedrock/apply-guardrail.ts').then(
      ({ BedrockGuardrailClient }) => new BedrockGuardrailClient(this.options),
    );
    return (await this.client).apply(source, texts, signal);
  }

  /** Closes the client if one was made (one that failed to load has nothing to close). */
  async close(): Promise<void> {
    const client = await this.client?.catch(() => undefined);
    await client?.close();
  }
}

/** What the request stages are built over (the process's shared parts). */
export interface StageParts {
  readonly state: StateStore;
  readonly events: EventSink;
  readonly clock: Clock;
  /**
   * The gateway's own embeddings call (its pipeline: limits, cost, breakers, a spend record), for
   * semantic caches. Bound late: the gateway is built after its stages.
   */
  readonly embed?: ((request: EmbeddingRequest, context: RequestContext) => Promise<EmbedResult>) | undefined;
  /** The gateway's own chat call, for router classifiers (late bound like `embed`). */
  readonly chat?: ((request: ChatRequest, context: RequestContext) => Promise<ChatResult>) | undefined;
}

/**
 * A router's classifier through the gateway: its own request id (`<id>.classify`: its own spend
 * record and events), no body logging, the caller's principal (its tenant's limits, budget and
 * `models` apply: a tenant limited to some models needs the classifier group too).
 */
function classifierOf(
  parts: StageParts,
  settings: { readonly group: string; readonly timeout_ms: number } | undefined,
): Classify | undefined {
  const chat = parts.chat;
  if (settings === undefined || chat === undefined) return undefined;
  return createClassifier({
    group: settings.group,
    timeoutMs: settings.timeout_ms,
    clock: parts.clock,
    call: async (request, context, signal) =>
      (
        await chat(request, {
          ...context,
          requestId: `${context.requestId}.classify`,
          signal,
          rawBody: undefined,
          cacheControl: undefined,
        })
      ).response,
  });
}

/**
 * The embedding of one prompt by `group` through the gateway: its own request id (`<id>.embed`, so it
 * has its own spend record, run and events), no body logging, the caller's principal (its tenant's
 * limits and budget apply, its cost is the tenant's).
 */
function embedThrough(embed: NonNullable<StageParts['embed']>, group: string): EmbedText {
  return async (text, context, signal) => {
    const result = await embed(
      { model: group, input: [text] },
      {
        ...context,
        requestId: `${context.requestId}.embed`,
        signal,
        rawBody: undefined,
        cacheControl: undefined,
      },
    );
    const vector = result.response.embeddings[0];
    if (vector === undefined) throw new Error('no embedding returned');
    return vector;
  };
}

/** A group's effective cache: its own `cache`, else `router.cache`; `mode: off` or neither is none. */
export function cacheOf(config: SpillwayConfig, group: string): CacheConfig | undefined {
  const cache = config.models[group]?.cache ?? config.router.cache;
  return cache === undefined || cache.mode === 'off' ? undefined : cache;
}

/**
 * The request stages of every model group, built once per configuration (a reload rebuilds them)
 * and resolved per request by group: composition is `composeStages` (route → guardrails → cache).
 * In-memory answer stores outlive a reload when the group's cache settings did not change.
 */
export class GroupStages {
  private byGroup = new Map<string, readonly RequestStage[]>();
  /** Tenants with guardrails of their own: their list per group (others use `byGroup`). */
  private byTenant = new Map<string, Map<string, readonly RequestStage[]>>();
  private stores = new Map<string, AnswerStore>();
  /** ApplyGuardrail clients by provider settings, guardrail id and version. */
  private guardrailClients = new Map<string, RemoteGuardrail>();
  private indexes = new Map<string, VectorIndex>();
  private shared: SharedVectors | undefined;
  private readonly parts: StageParts;

  constructor(parts: StageParts, config: SpillwayConfig) {
    this.parts = parts;
    this.apply(config);
  }

  /**
   * The resolver the gateway calls per request (cheap: two map lookups, a shared list). A key with
   * guardrails of its own gets its list built once per tenant, key guardrails and group (memoised).
   */
  readonly resolve: StageResolver = (principal, group) => {
    if (principal.guardrails !== undefined && principal.guardrails.length > 0) {
      return this.withKeyGuardrails(principal.tenant, principal.guardrails, group);
    }
    return (
      (this.byTenant.size === 0 ? undefined : this.byTenant.get(principal.tenant))?.get(group) ??
      this.byGroup.get(group) ??
      noStages
    );
  };

  /** Lists for keys with guardrails: tenant's, then the key's, then the group's (a name once). */
  private byKey = new Map<string, readonly RequestStage[]>();
  private composeFor: ((group: string, names: readonly string[]) => readonly RequestStage[]) | undefined;
  private tenantNames = new Map<string, readonly string[]>();

  private withKeyGuardrails(
    tenant: string,
    keyNames: readonly string[],
    group: string,
  ): readonly RequestStage[] {
    const memo = `${tenant}\u0000${keyNames.join('\u0000')}\u0000${group}`;
    let stages = this.byKey.get(memo);
    if (stages === undefined) {
      const names = [...(this.tenantNames.get(tenant) ?? []), ...keyNames];
      stages = this.composeFor?.(group, names) ?? noStages;
      // Bounded: key guardrail sets come from the admin API; past 10,000 lists start over.
      if (this.byKey.size >= 10_000) this.byKey.clear();
      this.byKey.set(memo, stages);
    }
    return stages;
  }

  /** Rebuilds the stages for `config`. */
  apply(config: SpillwayConfig): void {
    const byGroup = new Map<string, readonly RequestStage[]>();
    const stores = new Map<string, AnswerStore>();
    const indexes = new Map<string, VectorIndex>();
    const tenantTags = new Map<string, readonly string[]>();
    for (const [tenant, settings] of Object.entries(config.tenants)) {
      if (settings.tags !== undefined) tenantTags.set(tenant, settings.tags);
    }
    // ApplyGuardrail clients outlive a reload when nothing about them changed; the others are
    // closed once the new stages are in place (their pool leases released).
    const clients = new Map<string, RemoteGuardrail>();
    const catalog = new GuardrailCatalog(config.guardrails ?? {}, this.parts.events, (guardrail) => {
      const provider = config.providers[guardrail.provider];
      if (provider?.type !== 'bedrock') return undefined;
      const identity = JSON.stringify([provider, guardrail.guardrail_id, guardrail.guardrail_version]);
      const client =
        clients.get(identity) ??
        this.guardrailClients.get(identity) ??
        new BedrockGuardrailOnFirstUse({
          provider,
          guardrailId: guardrail.guardrail_id,
          guardrailVersion: guardrail.guardrail_version,
        });
      clients.set(identity, client);
      return client;
    });
    const tenantGuardrails = Object.entries(config.tenants).filter(
      ([, settings]) => (settings.guardrails?.length ?? 0) > 0,
    );
    const byTenant = new Map<string, Map<string, readonly RequestStage[]>>();
    /** Per group: its stage list with the given guardrail names before the group's own (keys). */
    const composeByGroup = new Map<string, (names: readonly string[]) => readonly RequestStage[]>();
    const known = new Set(Object.keys(config.guardrails ?? {}));
    for (const [group, settings] of Object.entries(config.models)) {
      // A router group's list is its route stage; the target's own stages follow once it has chosen.
      const route =
        settings.route === undefined
          ? undefined
          : new RouteStage({
              router: group,
              rules: settings.route,
              tenantTags,
              events: this.parts.events,
              cascade: settings.cascade,
              classify: classifierOf(this.parts, settings.classifier),
            });
      const cache = route === undefined ? cacheOf(config, group) : undefined;
      const stage =
        cache === undefined ? undefined : this.cacheStage(config, group, cache, { stores, indexes });
      // Guardrails run on the group that serves: a router's target, not the router itself.
      const groupGuardrails = route === undefined ? (settings.guardrails ?? []) : [];
      const compose = (names: readonly string[]) => {
        const guardrails = [
          ...(catalog.stageOf(names) === undefined ? [] : [catalog.stageOf(names) as RequestStage]),
          ...catalog.bedrockStagesOf(names),
        ];
        return composeStages({
          route,
          guardrails: guardrails.length === 0 ? undefined : guardrails,
          cache: stage,
        });
      };
      const stages = compose(groupGuardrails);
      if (stages.length > 0) byGroup.set(group, stages);
      composeByGroup.set(group, (names) =>
        compose(
          route === undefined
            ? [...new Set([...names.filter((name) => known.has(name)), ...groupGuardrails])]
            : [],
        ),
      );
      for (const [tenant, tenantSettings] of tenantGuardrails) {
        const names = route === undefined ? [...(tenantSettings.guardrails ?? []), ...groupGuardrails] : [];
        let groups = byTenant.get(tenant);
        if (groups === undefined) byTenant.set(tenant, (groups = new Map<string, readonly RequestStage[]>()));
        groups.set(group, compose(names));
      }
    }
    for (const [identity, client] of this.guardrailClients) {
      if (!clients.has(identity)) void client.close();
    }
    this.guardrailClients = clients;
    this.byGroup = byGroup;
    this.byTenant = byTenant;
    this.byKey = new Map();
    this.tenantNames = new Map(
      tenantGuardrails.map(([tenant, settings]) => [tenant, settings.guardrails ?? []]),
    );
    this.composeFor = (group, names) => composeByGroup.get(group)?.(names) ?? noStages;
    this.stores = stores;
    this.indexes = indexes;
  }

  private cacheStage(
    config: SpillwayConfig,
    group: string,
    cache: CacheConfig,
    kept: { stores: Map<string, AnswerStore>; indexes: Map<string, VectorIndex> },
  ): RequestStage | undefined {
    const shared = (config.state?.redis_url ?? '') !== '';
    const storeKey = `${group}\u0000${shared ? 'shared' : String(cache.max_bytes)}`;
    const store =
      this.stores.get(storeKey) ??
      (shared
        ? new SharedAnswerStore(this.parts.state)
        : new MemoryAnswerStore({ maxBytes: cache.max_bytes, clock: this.parts.clock }));
    kept.stores.set(storeKey, store);
    const locator =
      cache.mode === 'semantic'
        ? this.semanticLocator(group, cache, shared, kept.indexes)
        : new ExactLocator();
    if (locator === undefined) return undefined;
    return new ResponseCacheStage({
      settings: cache,
      store,
      locator,
      events: this.parts.events,
      clock: this.parts.clock,
    });
  }

  /** A semantic group's locator over its index (kept across reloads while its bound is unchanged). */
  private semanticLocator(
    group: string,
    cache: CacheConfig,
    shared: boolean,
    indexes: Map<string, VectorIndex>,
  ): AnswerLocator | undefined {
    const { embed } = this.parts;
    if (embed === undefined || cache.embedding_group === undefined || cache.threshold === undefined)
      return undefined;
    const indexKey = `${group}\u0000${String(cache.max_entries)}`;
    const index =
      this.indexes.get(indexKey) ??
      new VectorIndex({ maxEntries: cache.max_entries, clock: this.parts.clock });
    indexes.set(indexKey, index);
    let announcer;
    if (shared) {
      this.shared ??= new SharedVectors(this.parts.state);
      announcer = this.shared.attach(group, index);
    }
    return new SemanticLocator({
      index,
      embed: embedThrough(embed, cache.embedding_group),
      threshold: cache.threshold,
      timeoutMs: cache.embedding_timeout_ms,
      clock: this.parts.clock,
      announcer,
    });
  }
}
