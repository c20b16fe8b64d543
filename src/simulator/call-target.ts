import type { SimApi } from './invocation-log.ts';
import type { SimModel } from './sim-world.ts';

/** One authenticated, routed call, ready to be admitted. */
export interface CallTarget {
  readonly api: SimApi;
  readonly operation: string;
  readonly accountId: string;
  /** Source region. */
  readonly region: string;
  /** Model, profile id or ARN as requested. */
  readonly modelId: string;
  readonly model: SimModel;
  /** Regions that may serve (one unless a cross-region profile). */
  readonly regions: readonly string[];
  readonly stream: boolean;
  readonly requestId: string;
}
