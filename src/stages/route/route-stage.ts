import type { ChatRequest } from '../../core/chat-request.ts';
import type { EventSink } from '../../core/gateway-events.ts';
import { estimatePromptTokens } from '../../limits/estimate-tokens.ts';
import type { RequestContext } from '../../pipeline/gateway.ts';
import type { CascadeStep, RequestStage, StageDecision } from '../../pipeline/request-stage.ts';
import { failedCheck, type CascadeCheck } from './cascade-check.ts';
import type { Classify } from './classifier.ts';
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
  /** The classifier model asked for the score (undefined: the transparent score alone). */
  private readonly classify: Classify | undefined;

  constructor(options: {
    router: string;
    rules: readonly RuleSettings[];
    tenantTags: ReadonlyMap<string, readonly string[]>;
    events: EventSink;
    cascade?: CascadeSettings | undefined;
    classify?: Classify | undefined;
  }) {
    this.classify = options.classify;
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

  beforePlan(request: ChatRequest, context: RequestContext): StageDecision | Promise<StageDecision> {
    const tenant = context.principal.tenant;
    let promptTokens: number | undefined;
    const state: RouteState = { complexity: undefined, classified: undefined };
    const input: RouteInput = {
      request,
      tenant,
      tags: tagsOf(context.tags, this.tenantTags.get(tenant), context.principal.tags),
      promptTokens: () => (promptTokens ??= estimatePromptTokens(request)),
      complexity: () => (state.complexity ??= this.scoreOf(request, input.promptTokens(), state)),
    };
    const classify = this.classify;
    const scoringFrom = this.rules.findIndex((rule) => rule.scores);
    if (classify === undefined || scoringFrom < 0)
      return this.decide(this.firstMatch(input, 0), input, state, context);
    // Rules before the first that reads the score decide without asking the classifier.
    const early = this.firstMatch(input, 0, scoringFrom);
    if (early !== undefined) return this.decide(early, input, state, context);
    return classify(request, context).then((classified) => {
      state.classified = classified ?? 'fallback';
      return this.decide(this.firstMatch(input, scoringFrom), input, state, context);
    });
  }

  /** The transparent score, or the classifier's when it gave one (features kept for the trace). */
  private scoreOf(request: ChatRequest, promptTokens: number, state: RouteState): ComplexityScore {
    const transparent = scoreComplexity(request, promptTokens);
    return typeof state.classified === 'number' ? { ...transparent, score: state.classified } : transparent;
  }

  /** The first rule in [from, to) that matches, or the last (the default) when `to` is the end. */
  private firstMatch(input: RouteInput, from: number): CompiledRule;
  private firstMatch(input: RouteInput, from: number, to: number): CompiledRule | undefined;
  private firstMatch(input: RouteInput, from: number, to?: number): CompiledRule | undefined {
    const end = to ?? this.rules.length;
    for (let index = from; index < end; index += 1) {
      const candidate = this.rules[index] as CompiledRule;
      if (candidate.matches(input)) return candidate;
    }
    // The schema guarantees a last `default` rule, so one always matches over the whole list.
    return to === undefined ? this.rules[this.rules.length - 1] : undefined;
  }

  private decide(
    rule: CompiledRule,
    input: RouteInput,
    state: RouteState,
    context: RequestContext,
  ): StageDecision {
    const { request } = input;
    const complexity = state.complexity;
    const source = sourceOf(state.classified);
    this.events.emit({
      type: 'route-decided',
      requestId: context.requestId,
      tenant: input.tenant,
      router: this.router,
      rule: rule.label,
      target: rule.to,
      complexity:
        complexity === undefined
          ? undefined
          : {
              score: complexity.score,
              features:
                state.classified === undefined
                  ? { ...complexity.features }
                  : { ...complexity.features, classifier: source === 'classifier' },
            },
    });
    const route = `${this.router}:${rule.label} -> ${rule.to}`;
    return {
      kind: 'change',
      request: { ...request, model: rule.to },
      headers:
        complexity === undefined
          ? { 'x-spillway-route': route }
          : { 'x-spillway-route': route, 'x-spillway-complexity': `${complexity.score}; source=${source}` },
      route: `${this.router}:${rule.label}`,
      cascade: rule.to === this.cascadeFrom ? this.cascade : undefined,
    };
  }
}

/** What a request's routing computed: the score once, and the classifier's rating when asked. */
interface RouteState {
  complexity: ComplexityScore | undefined;
  /** The classifier's score, `fallback` when it gave none in time, undefined when not asked. */
  classified: number | 'fallback' | undefined;
}

function sourceOf(classified: RouteState['classified']): 'transparent' | 'classifier' | 'fallback' {
  if (classified === undefined) return 'transparent';
  return classified === 'fallback' ? 'fallback' : 'classifier';
}

/** The request's tags (`x-spillway-tags`), its tenant's and its key's, as one set. */
function tagsOf(
  requestTags: readonly string[] | undefined,
  tenantTags: readonly string[] | undefined,
  keyTags: readonly string[] | undefined,
): ReadonlySet<string> {
  if (requestTags === undefined && tenantTags === undefined && keyTags === undefined) return noTags;
  return new Set([...(requestTags ?? []), ...(tenantTags ?? []), ...(keyTags ?? [])]);
}
