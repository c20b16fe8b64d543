import type { Clock } from '../core/clock.ts';
import type { EventSink } from '../core/gateway-events.ts';
import type { StateStore } from '../core/state-store.ts';
import type { CacheConfig } from '../config/cache-schema.ts';
import type { SpillwayConfig } from '../config/schema.ts';
import type { RequestStage, StageResolver } from '../pipeline/request-stage.ts';
import { composeStages, noStages } from '../pipeline/request-stages.ts';
import { MemoryAnswerStore, SharedAnswerStore, type AnswerStore } from '../stages/cache/answer-store.ts';
import { ResponseCacheStage } from '../stages/cache/response-cache-stage.ts';
import { RouteStage } from '../stages/route/route-stage.ts';

/** What the request stages are built over (the process's shared parts). */
export interface StageParts {
  readonly state: StateStore;
  readonly events: EventSink;
  readonly clock: Clock;
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
  private stores = new Map<string, AnswerStore>();
  private readonly parts: StageParts;

  constructor(parts: StageParts, config: SpillwayConfig) {
    this.parts = parts;
    this.apply(config);
  }

  /** The resolver the gateway calls per request (cheap: one map lookup, a shared list). */
  readonly resolve: StageResolver = (_principal, group) => this.byGroup.get(group) ?? noStages;

  /** Rebuilds the stages for `config`. */
  apply(config: SpillwayConfig): void {
    const byGroup = new Map<string, readonly RequestStage[]>();
    const stores = new Map<string, AnswerStore>();
    const tenantTags = new Map<string, readonly string[]>();
    for (const [tenant, settings] of Object.entries(config.tenants)) {
      if (settings.tags !== undefined) tenantTags.set(tenant, settings.tags);
    }
    for (const [group, settings] of Object.entries(config.models)) {
      // A router group's list is its route stage; the target's own stages follow once it has chosen.
      const route =
        settings.route === undefined
          ? undefined
          : new RouteStage({ router: group, rules: settings.route, tenantTags, events: this.parts.events });
      const cache = route === undefined ? cacheOf(config, group) : undefined;
      const stage = cache === undefined ? undefined : this.cacheStage(config, group, cache, stores);
      const stages = composeStages({ route, cache: stage });
      if (stages.length > 0) byGroup.set(group, stages);
    }
    this.byGroup = byGroup;
    this.stores = stores;
  }

  private cacheStage(
    config: SpillwayConfig,
    group: string,
    cache: CacheConfig,
    stores: Map<string, AnswerStore>,
  ): RequestStage | undefined {
    if (cache.mode !== 'exact') return undefined;
    const shared = (config.state?.redis_url ?? '') !== '';
    const storeKey = `${group}\u0000${shared ? 'shared' : String(cache.max_bytes)}`;
    const store =
      this.stores.get(storeKey) ??
      (shared
        ? new SharedAnswerStore(this.parts.state)
        : new MemoryAnswerStore({ maxBytes: cache.max_bytes, clock: this.parts.clock }));
    stores.set(storeKey, store);
    return new ResponseCacheStage({
      settings: cache,
      store,
      events: this.parts.events,
      clock: this.parts.clock,
    });
  }
}
