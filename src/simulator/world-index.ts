import type { QuotaLimit } from './quota-tracker.ts';
import type { SimFailure } from './sim-failure.ts';
import type { SimLatency, SimModel, SimWorld } from './sim-world.ts';

/** A Bedrock model id resolved for one caller. */
export interface ResolvedBedrockModel {
  readonly model: SimModel;
  /** Regions that may serve the call: the source region, or the profile's regions. */
  readonly regions: readonly string[];
  /** The profile prefix when the id named a cross-region profile. */
  readonly profile: string | undefined;
}

const invalidModel: SimFailure = {
  kind: 'status',
  status: 400,
  code: 'ValidationException',
  message: 'The provided model identifier is invalid.',
};

/** Lookups over a world: credentials, models, profiles, quotas, latencies. */
export class WorldIndex {
  readonly world: SimWorld;
  private readonly accessKeys = new Map<string, { accountId: string; secret: string }>();
  private readonly apiKeys = new Map<string, { accountId: string; region: string }>();
  private readonly bedrockModels = new Map<string, SimModel>();

  constructor(world: SimWorld) {
    this.world = world;
    for (const account of world.accounts) {
      for (const key of account.access_keys)
        this.accessKeys.set(key.access_key_id, { accountId: account.id, secret: key.secret_access_key });
      for (const key of account.api_keys)
        this.apiKeys.set(key.key, { accountId: account.id, region: key.region });
    }
    for (const model of world.bedrock.models) this.bedrockModels.set(model.id, model);
  }

  /** The account and secret of a SigV4 access key id. */
  accessKey(accessKeyId: string): { accountId: string; secret: string } | undefined {
    return this.accessKeys.get(accessKeyId);
  }

  /** The account and home region of a Bedrock API key. */
  bedrockApiKey(key: string): { accountId: string; region: string } | undefined {
    return this.apiKeys.get(key);
  }

  /**
   * Resolves a decoded model id, profile id or ARN as called from `sourceRegion` by `accountId`:
   * profiles are callable from their own regions only; profile-only models refuse on-demand calls.
   */
  resolveBedrockModel(
    rawId: string,
    sourceRegion: string,
    accountId: string,
  ): ResolvedBedrockModel | SimFailure {
    let id = rawId;
    if (rawId.startsWith('arn:')) {
      const match = /^arn:aws:bedrock:([^:]+):([^:]*):(inference-profile|foundation-model)\/(.+)$/.exec(
        rawId,
      );
      if (match === null) return invalidModel;
      const [, arnRegion, arnAccount, , resource] = match;
      if (arnRegion !== sourceRegion || resource === undefined) return invalidModel;
      if (arnAccount !== '' && arnAccount !== accountId) {
        return {
          kind: 'status',
          status: 403,
          code: 'AccessDeniedException',
          message: "You don't have access to the model with the specified model ID.",
        };
      }
      id = resource;
    }
    const dot = id.indexOf('.');
    const prefix = dot > 0 ? id.slice(0, dot) : '';
    const profileRegions = this.world.bedrock.profiles[prefix];
    if (profileRegions !== undefined) {
      const model = this.bedrockModels.get(id.slice(dot + 1));
      if (model?.profiles.includes(prefix) !== true || !profileRegions.includes(sourceRegion))
        return invalidModel;
      const regions = profileRegions.filter((region) => model.regions?.includes(region) ?? true);
      return { model, regions, profile: prefix };
    }
    const model = this.bedrockModels.get(id);
    if (
      model === undefined ||
      !(model.regions?.includes(sourceRegion) ?? this.world.regions.includes(sourceRegion))
    )
      return invalidModel;
    if (!model.on_demand) {
      return {
        kind: 'status',
        status: 400,
        code: 'ValidationException',
        message: `Invocation of model ID ${model.id} with on-demand throughput isn't supported. Retry your request with the ID or ARN of an inference profile that contains this model.`,
      };
    }
    return { model, regions: [sourceRegion], profile: undefined };
  }

  /** Quota of one account in one region for one model (first matching override wins). */
  bedrockQuota(accountId: string, region: string, modelId: string): QuotaLimit {
    const quotas = this.world.bedrock.quotas;
    for (const override of quotas.overrides) {
      if (
        (override.account === undefined || override.account === accountId) &&
        (override.region === undefined || override.region === region) &&
        (override.model === undefined || override.model === modelId)
      ) {
        return { rpm: override.rpm ?? quotas.default.rpm, tpm: override.tpm ?? quotas.default.tpm };
      }
    }
    return quotas.default;
  }

  /** Latency profile of a model in a region (first matching override wins). */
  latency(region: string, modelId: string): SimLatency {
    const latency = this.world.latency;
    for (const override of latency.overrides) {
      if (
        (override.region === undefined || override.region === region) &&
        (override.model === undefined || override.model === modelId)
      ) {
        return { ...latency.default, ...definedOnly(override) };
      }
    }
    return latency.default;
  }

  /** A model of the OpenAI-style or Anthropic-style endpoint. */
  endpointModel(api: 'openai' | 'anthropic', id: string): SimModel | undefined {
    return this.world[api].models.find((model) => model.id === id);
  }
}

function definedOnly(override: {
  ttft_ms?: number | undefined;
  tokens_per_second?: number | undefined;
  jitter?: number | undefined;
}): Partial<SimLatency> {
  const result: Partial<SimLatency> = {};
  if (override.ttft_ms !== undefined) result.ttft_ms = override.ttft_ms;
  if (override.tokens_per_second !== undefined) result.tokens_per_second = override.tokens_per_second;
  if (override.jitter !== undefined) result.jitter = override.jitter;
  return result;
}
