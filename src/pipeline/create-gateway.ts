import type { Logger } from 'pino';
import type { ChatModel } from '../core/chat-model.ts';
import type { ChatRequest } from '../core/chat-request.ts';
import type { Clock } from '../core/clock.ts';
import type { EmbeddingRequest } from '../core/embedding.ts';
import type { EventSink } from '../core/gateway-events.ts';
import type { Principal } from '../core/principal.ts';
import type { Readiness, ReadinessCheck } from '../core/readiness.ts';
import type { DeploymentConfig, ProviderConfig, SpillwayConfig } from '../config/schema.ts';
import { TenantLimiter } from '../limits/tenant-limiter.ts';
import { ModelRegistry } from '../routing/model-registry.ts';
import { RoutingGenerations } from '../routing/routing-generations.ts';
import { buildRoutingTable, type RoutingTable } from '../routing/routing-table.ts';
import type { StateStore } from '../core/state-store.ts';
import type { Authenticator, BudgetChecker } from '../core/authenticator.ts';
import { createExecutionPolicy } from './policies/execution-policy.ts';
import type {
  ChatResult,
  EmbedResult,
  Gateway,
  ModelInfo,
  RequestContext,
  StreamResult,
  TokenCountResult,
} from './gateway.ts';
import { RequestPipeline } from './request-pipeline.ts';
import type { StageResolver } from './request-stage.ts';
import { resolveNoStages } from './request-stages.ts';

/** What the gateway is built from; main.ts wires the real adapters, stores and governance. */
export interface GatewayDependencies {
  readonly config: SpillwayConfig;
  /** Creates the adapter of one deployment (called at start and for deployments a reload changes). */
  readonly createChatModel: (target: {
    providerName: string;
    provider: ProviderConfig;
    deployment: DeploymentConfig;
  }) => ChatModel;
  readonly state: StateStore;
  readonly clock: Clock;
  readonly events: EventSink;
  readonly authenticator: Authenticator;
  readonly budget: BudgetChecker;
  readonly logger: Logger;
  /** Uniform in [0, 1); default Math.random (tests inject a seeded one). */
  readonly random?: (() => number) | undefined;
  /**
   * The traceparent of the gateway's span for a request in flight (telemetry), sent upstream instead
   * of the client's so that upstream spans join the trace under the gateway.
   */
  readonly traceparentFor?: ((requestId: string) => string | undefined) | undefined;
  /**
   * The request stages of a principal and requested group (request-stages.ts). Default: none, and a
   * request without stages takes the fast path.
   */
  readonly stages?: StageResolver | undefined;
  /**
   * The stores' checks for readiness (`state`, `database`), from the composition root, which alone
   * knows which stores there are. Default: none.
   */
  readonly storeChecks?: (() => Readonly<Record<string, ReadinessCheck>>) | undefined;
}

/** The Gateway plus its lifecycle. */
export interface SpillwayGateway extends Gateway {
  /**
   * Hot reload: new requests use the new routing table; in-flight ones finish on theirs. Breaker,
   * cooldown, limit and statistics state is keyed by deployment id and survives. Throws (and keeps
   * the old table) when the config cannot be routed.
   */
  applyConfig(config: SpillwayConfig): void;
  /** Closes every chat model. The state store belongs to the caller. */
  close(): Promise<void>;
}

/** Builds the gateway: authenticate → admit → plan → execute → account (request-pipeline.ts). */
export function createGateway(deps: GatewayDependencies): SpillwayGateway {
  const { state, clock, events, logger } = deps;
  const policy = createExecutionPolicy({ state, clock, events, logger, random: deps.random ?? Math.random });

  const registry = new ModelRegistry(deps.createChatModel, logger);
  const build = (config: SpillwayConfig): RoutingTable => {
    const generation = registry.beginGeneration();
    try {
      const table = buildRoutingTable(config, generation.modelFor);
      generation.commit();
      return table;
    } catch (error) {
      generation.abandon().catch((failure: unknown) => {
        logger.warn({ err: failure }, 'closing the models of a rejected config failed');
      });
      throw error;
    }
  };
  const closeRetired = (): void => {
    registry.closeRetired().catch((error: unknown) => {
      logger.warn({ err: error }, 'closing retired chat models failed');
    });
  };
  const generations = new RoutingGenerations(build(deps.config), closeRetired);
  const pipeline = new RequestPipeline({
    clock,
    events,
    policy,
    traceparentFor: deps.traceparentFor,
    tenantLimiter: new TenantLimiter(state, logger, events),
    budget: deps.budget,
    generations,
    stages: deps.stages ?? resolveNoStages,
  });

  return {
    authenticate: (credential: string | undefined): Principal => deps.authenticator.authenticate(credential),
    chat: (request: ChatRequest, context: RequestContext): Promise<ChatResult> =>
      pipeline.chat(request, context),
    streamChat: (request: ChatRequest, context: RequestContext): Promise<StreamResult> =>
      pipeline.streamChat(request, context),
    embed: (request: EmbeddingRequest, context: RequestContext): Promise<EmbedResult> =>
      pipeline.embed(request, context),
    countTokens: (request: ChatRequest, context: RequestContext): Promise<TokenCountResult> =>
      pipeline.countTokens(request, context),
    listModels: (principal: Principal): readonly ModelInfo[] => {
      const table = generations.table;
      const allowed = principal.allowedModels;
      return table.groupNames
        .filter((name) => allowed === undefined || allowed.includes(name))
        .map((name) => ({ id: name, description: table.groups.get(name)?.description }));
    },
    readiness: (): Readiness => {
      const groups = generations.table.groupNames.length;
      const checks: Record<string, ReadinessCheck> = {
        config:
          groups === 0
            ? { status: 'degraded', detail: 'no model groups configured: chat requests answer 404' }
            : { status: 'ok', detail: `${groups} model group${groups === 1 ? '' : 's'}` },
        ...deps.storeChecks?.(),
      };
      return { ready: Object.values(checks).every((check) => check.status !== 'down'), checks };
    },
    applyConfig: (config: SpillwayConfig): void => {
      generations.swap(build(config));
      logger.info({ groups: Object.keys(config.models).length }, 'routing table reloaded');
    },
    close: () => registry.close(),
  };
}
