import type { SpillwayConfig } from '../config/schema.ts';

/** The label value of any name the configuration does not know (a client's made-up model name). */
export const UNKNOWN_LABEL = 'unknown';

/**
 * The value every tenant label takes when `telemetry.tenant_labels` is false: one constant, so the
 * series of all tenants fold into one, and the `tenant` label is left out of the exposition.
 */
export const OMITTED_TENANT = '';

/** The part of the configuration label values come from. */
export type LabelledConfig = Pick<SpillwayConfig, 'models' | 'providers' | 'tenants'>;

export interface MetricLabelDomainOptions {
  /** The configuration in force (read again on every event: a reload changes the known names). */
  readonly config: () => LabelledConfig;
  /**
   * True for a tenant the gateway knows besides the config file's: tenants made with the admin API
   * and `anonymous`. Default: only the config file's tenants.
   */
  readonly knownTenant?: ((name: string) => boolean) | undefined;
  /** False: tenant labels are left out (every tenant value becomes OMITTED_TENANT). Default true. */
  readonly tenantLabels?: boolean | undefined;
}

/** The names of one configuration that may become label values. */
interface KnownNames {
  readonly config: LabelledConfig;
  readonly groups: ReadonlySet<string>;
  readonly deployments: ReadonlySet<string>;
  readonly providers: ReadonlySet<string>;
  readonly regions: ReadonlySet<string>;
  readonly tenants: ReadonlySet<string>;
}

function knownNamesOf(config: LabelledConfig): KnownNames {
  const deployments = Object.values(config.models).flatMap((group) => group.deployments);
  return {
    config,
    groups: new Set(Object.keys(config.models)),
    deployments: new Set(deployments.map((deployment) => deployment.id)),
    providers: new Set(Object.keys(config.providers)),
    // The region a target reports (routing-table.ts): the deployment's label, else its provider's.
    regions: new Set(
      deployments.flatMap((deployment) => {
        const region = deployment.region ?? config.providers[deployment.provider]?.region;
        return region === undefined ? [] : [region];
      }),
    ),
    tenants: new Set(Object.keys(config.tenants)),
  };
}

/**
 * Where every metric label value comes from. A label value is a name the configuration declares
 * (model group, deployment, provider, region, tenant) or UNKNOWN_LABEL: never a string a client
 * chose, so the number of series is bounded by the configuration, whatever clients send (a client
 * naming 5,000 made-up models adds no series beyond one `unknown` group). Fixed sets (error codes,
 * status classes, outcomes) are bounded in metric-labels.ts.
 */
export class MetricLabelDomain {
  readonly #config: () => LabelledConfig;
  readonly #knownTenant: ((name: string) => boolean) | undefined;
  readonly #tenantLabels: boolean;
  #known: KnownNames;

  constructor(options: MetricLabelDomainOptions) {
    this.#config = options.config;
    this.#knownTenant = options.knownTenant;
    this.#tenantLabels = options.tenantLabels ?? true;
    this.#known = knownNamesOf(options.config());
  }

  /** Whether tenant labels are exposed (`telemetry.tenant_labels`). */
  get tenantLabels(): boolean {
    return this.#tenantLabels;
  }

  /** The names of the configuration in force, rebuilt once when a reload replaced it. */
  #names(): KnownNames {
    const config = this.#config();
    if (config !== this.#known.config) this.#known = knownNamesOf(config);
    return this.#known;
  }

  /** A model group's label: a configured group, else UNKNOWN_LABEL. */
  group(name: string): string {
    return this.#names().groups.has(name) ? name : UNKNOWN_LABEL;
  }

  /** A deployment's label: a configured deployment id, else UNKNOWN_LABEL. */
  deployment(name: string): string {
    return this.#names().deployments.has(name) ? name : UNKNOWN_LABEL;
  }

  /** A provider's label: a configured provider name, else UNKNOWN_LABEL. */
  provider(name: string): string {
    return this.#names().providers.has(name) ? name : UNKNOWN_LABEL;
  }

  /** A region's label: a region some deployment reports, else UNKNOWN_LABEL. */
  region(name: string): string {
    return this.#names().regions.has(name) ? name : UNKNOWN_LABEL;
  }

  /** A tenant's label: a known tenant, else UNKNOWN_LABEL; OMITTED_TENANT when tenant labels are off. */
  tenant(name: string): string {
    if (!this.#tenantLabels) return OMITTED_TENANT;
    if (this.#names().tenants.has(name) || this.#knownTenant?.(name) === true) return name;
    return UNKNOWN_LABEL;
  }
}
