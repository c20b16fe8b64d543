import type { ChatRequest } from '../../core/chat-request.ts';
import type { EventSink } from '../../core/gateway-events.ts';
import { estimatePromptTokens } from '../../limits/estimate-tokens.ts';
import type { RequestContext } from '../../pipeline/gateway.ts';
import type { CascadeStep, RequestStage, StageDecision } from '../../pipeline/request-stage.ts';
import { failedCheck, type CascadeCheck } from './cascade-check.ts';
import { scoreComplexity, type ComplexityScore } from './complexity.ts';
import { compileRules, type CompiledRule, type RouteInput, type RuleSettings } from './route-rules.ts';

const noTags: ReadonlySet<string> = new Set();

/** A router's cascade as the config gives it (`models.<router>.cascade`). */
export interface CascadeSettings {
  readonly from: string;
  readonly to: string;
  readonly escalate_on: readonly CascadeCheck[];
}

/**
 * A router group as a request stage: the first rule whose conditions hold changes the request's
 * model group to its target (`x-spillway-route: <router>:<rule> -> <target>`); the pipeline then
 * runs the target's stages and plans the target. Rules read the request and its principal only;
 * the prompt estimate and the complexity score are computed once, and only if a rule asks.
 */
export class RouteStage implements RequestStage {
  readonly name = 'route';
  private readonly router: string;
  private readonly rules: readonly CompiledRule[];
  private readonly tenantTags: ReadonlyMap<string, readonly string[]>;
  private readonly events: EventSink;
  /** The cascade from `cascadeFrom`, when the router declares one (one object per router). */
  private readonly cascade: CascadeStep | undefined;
  private readonly cascadeFrom: string | undefined;

  constructor(options: {
    router: string;
    rules: readonly RuleSettings[];
    tenantTags: ReadonlyMap<string, readonly string[]>;
    events: EventSink;
    cascade?: CascadeSettings | undefined;
  }) {
    this.router = options.router;
    const cascade = options.cascade;
    this.cascadeFrom = cascade?.from;
    this.cascade =
      cascade === undefined
        ? undefined
        : {
            router: options.router,
            to: cascade.to,
            failed: (response, request) => failedCheck(response, request, cascade.escalate_on),
          };
    this.rules = compileRules(options.rules);
    this.tenantTags = options.tenantTags;
    this.events = options.events;
  }

  beforePlan(request: ChatRequest, context: RequestContext): StageDecision {
    const tenant = context.principal.tenant;
    let promptTokens: number | undefined;
    let complexity: ComplexityScore | undefined;
    const input: RouteInput = {
      request,
      tenant,
      tags: tagsOf(context.tags, this.tenantTags.get(tenant)),
      promptTokens: () => (promptTokens ??= estimatePromptTokens(request)),
      complexity: () => (complexity ??= scoreComplexity(request, input.promptTokens())),
    };
    // The schema guarantees a last `default` rule, so one always matches.
    let rule = this.rules[this.rules.length - 1] as CompiledRule;
    for (const candidate of this.rules) {
      if (candidate.matches(input)) {
        rule = candidate;
        break;
      }
    }
    this.events.emit({
      type: 'route-decided',
      requestId: context.requestId,
      tenant,
      router: this.router,
      rule: rule.label,
      target: rule.to,
      complexity:
        complexity === undefined
          ? undefined
          : { score: complexity.score, features: { ...complexity.features } },
    });
    return {
      kind: 'change',
      request: { ...request, model: rule.to },
      headers: { 'x-spillway-route': `${this.router}:${rule.label} -> ${rule.to}` },
      route: `${this.router}:${rule.label}`,
      cascade: rule.to === this.cascadeFrom ? this.cascade : undefined,
    };
  }
}

function tagsOf(
  requestTags: readonly string[] | undefined,
  tenantTags: readonly string[] | undefined,
): ReadonlySet<string> {
  if (requestTags === undefined && tenantTags === undefined) return noTags;
  return new Set([...(requestTags ?? []), ...(tenantTags ?? [])]);
}
