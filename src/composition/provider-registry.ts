import type { DeploymentConfig, ProviderConfig, SpillwayConfig } from '../config/schema.ts';
import type { ChatModel } from '../core/chat-model.ts';
import type { Clock } from '../core/clock.ts';

/** One deployment's adapter to build: the provider entry it names and the deployment itself. */
export interface ChatModelTarget {
  readonly providerName: string;
  readonly provider: ProviderConfig;
  readonly deployment: DeploymentConfig;
}

type ProviderType = ProviderConfig['type'];

/** Builds the adapter of one deployment of a provider of type `T`. */
type AdapterConstructor<T extends ProviderType> = (
  providerName: string,
  provider: Extract<ProviderConfig, { type: T }>,
  deployment: DeploymentConfig,
  clock: Clock,
) => ChatModel;

/**
 * Provider type → its adapter's constructor, loaded on first use: each adapter pulls in its own
 * dependencies (the AWS SDK for Bedrock), which a gateway without such a provider never loads. A new
 * provider type is one entry here (and its config schema), nothing else.
 */
const adapters: { readonly [T in ProviderType]: () => Promise<AdapterConstructor<T>> } = {
  bedrock: async () => {
    const { createBedrockChatModel } = await import('../providers/bedrock/create-bedrock-chat-model.ts');
    return (providerName, config, deployment, clock) =>
      createBedrockChatModel({
        providerName,
        config,
        modelId: deployment.model,
        serviceTier: deployment.service_tier,
        clock,
      });
  },
  openai: async () => {
    const { createOpenAIChatModel } = await import('../providers/openai/openai-chat-model.ts');
    return (providerName, config, deployment, clock) =>
      createOpenAIChatModel({ providerName, config, modelId: deployment.model, clock });
  },
  anthropic: async () => {
    const { createAnthropicChatModel } = await import('../providers/anthropic/anthropic-chat-model.ts');
    return (providerName, config, deployment, clock) =>
      createAnthropicChatModel({ providerName, config, modelId: deployment.model, clock });
  },
};

/**
 * The adapters a gateway has loaded. `load` (at start and before a reload is applied) loads those a
 * config uses; `create` builds a deployment's adapter synchronously, as the routing table needs.
 */
export class ProviderRegistry {
  private readonly loaded = new Map<ProviderType, AdapterConstructor<ProviderType>>();
  private readonly clock: Clock;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** Loads the adapter of every provider type `config` uses that is not loaded yet. */
  async load(config: SpillwayConfig): Promise<void> {
    for (const provider of Object.values(config.providers)) {
      if (this.loaded.has(provider.type)) continue;
      // Each entry's constructor takes its own provider type; the map is keyed by that same type.
      this.loaded.set(provider.type, (await adapters[provider.type]()) as AdapterConstructor<ProviderType>);
    }
  }

  /** The adapter of one deployment. Throws if its provider type was not loaded first. */
  create(target: ChatModelTarget): ChatModel {
    const construct = this.loaded.get(target.provider.type);
    if (construct === undefined) {
      throw new Error(`the ${target.provider.type} adapter was not loaded before its deployment was built`);
    }
    return construct(target.providerName, target.provider, target.deployment, this.clock);
  }
}
