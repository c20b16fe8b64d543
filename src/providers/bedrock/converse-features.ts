import {
  reasoningBudgetTokens,
  reasoningEffortOf,
  type ChatRequest,
  type ResponseFormat,
} from '../../core/chat-request.ts';
import { GatewayError } from '../../errors/gateway-error.ts';

/**
 * Structured output and reasoning on Bedrock Converse, which has neither a JSON mode nor one
 * reasoning switch for every model family.
 *
 * Structured output (a JSON schema) is a forced call of one tool whose input schema is the
 * requested schema; the adapter returns that call's input as the answer text (ConverseAnswerTool),
 * so the client finds the JSON where its SDK reads text. Claude refuses a forced tool while it
 * thinks: with reasoning on, the tool is offered with `auto` and the system prompt asks for it.
 *
 * Reasoning goes in additionalModelRequestFields, per family: Anthropic Claude `thinking`
 * (budget_tokens), Amazon Nova `reasoningConfig` (maxReasoningEffort), OpenAI gpt-oss
 * `reasoning_effort`. Other families have no reasoning switch: a clear 400 rather than a silent drop.
 */

/** The tool that carries a structured answer; its name is the schema's, made Converse-safe. */
export interface AnswerTool {
  readonly name: string;
  readonly description?: string | undefined;
  readonly schema: Readonly<Record<string, unknown>>;
}

/** The forced tool for a json_schema response format, or undefined for other formats. */
export function answerToolOf(format: ResponseFormat | undefined): AnswerTool | undefined {
  if (format?.type !== 'json_schema') return undefined;
  // Converse tool names: [a-zA-Z0-9_-]{1,64}.
  const name = format.name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64) || 'response';
  return { name, description: format.description, schema: format.schema };
}

type Family = 'anthropic' | 'nova' | 'gpt-oss' | 'other';

function familyOf(modelId: string): Family {
  // Ids, inference profiles (us./eu./global.) and ARNs all carry the provider.model part.
  if (modelId.includes('anthropic.') || modelId.includes('claude')) return 'anthropic';
  if (modelId.includes('amazon.nova')) return 'nova';
  if (modelId.includes('gpt-oss')) return 'gpt-oss';
  return 'other';
}

/** Whether the request asks for reasoning (an effort other than none). */
export function wantsReasoning(request: ChatRequest): boolean {
  return request.reasoning !== undefined && reasoningBudgetTokens(request.reasoning) > 0;
}

/** The default Claude max_tokens Spillway asks for when thinking needs room and the client set none. */
const defaultAnswerTokens = 4096;
/** Claude's smallest thinking budget. */
const minThinkingBudget = 1024;

/**
 * additionalModelRequestFields for the request's reasoning on `modelId`, and the max tokens to ask
 * for (Claude's budget must stay under it). Throws a 400 naming reasoning for a family without it.
 */
export function reasoningFields(
  request: ChatRequest,
  modelId: string,
): { fields: Record<string, unknown> | undefined; maxTokens: number | undefined } {
  const reasoning = request.reasoning;
  if (reasoning === undefined) return { fields: undefined, maxTokens: request.maxTokens };
  const family = familyOf(modelId);
  const budget = reasoningBudgetTokens(reasoning);
  if (budget <= 0) {
    // Off is every family's default except Claude's explicit switch.
    return {
      fields: family === 'anthropic' ? { thinking: { type: 'disabled' } } : undefined,
      maxTokens: request.maxTokens,
    };
  }
  switch (family) {
    case 'anthropic': {
      const budgetTokens = reasoning.budgetTokens ?? Math.max(budget, minThinkingBudget);
      const asked = request.maxTokens ?? defaultAnswerTokens;
      const maxTokens =
        reasoning.budgetTokens === undefined && asked <= budgetTokens ? asked + budgetTokens : asked;
      return { fields: { thinking: { type: 'enabled', budget_tokens: budgetTokens } }, maxTokens };
    }
    case 'nova': {
      const effort = reasoningEffortOf(reasoning);
      const maxReasoningEffort = effort === 'minimal' ? 'low' : effort === 'xhigh' ? 'high' : effort;
      return {
        fields: { reasoningConfig: { type: 'enabled', maxReasoningEffort } },
        maxTokens: request.maxTokens,
      };
    }
    case 'gpt-oss': {
      const effort = reasoningEffortOf(reasoning);
      const level = effort === 'minimal' ? 'low' : effort === 'xhigh' ? 'high' : effort;
      return { fields: { reasoning_effort: level }, maxTokens: request.maxTokens };
    }
    case 'other':
      throw new GatewayError(
        `reasoning (reasoning_effort / thinking) is not supported for Bedrock model ${modelId}`,
        { code: 'unsupported', param: 'reasoning' },
      );
  }
}

/**
 * top_k in additionalModelRequestFields, per family (Claude `top_k`, Nova `inferenceConfig.topK`);
 * other families have none: a 400 naming it.
 */
export function topKFields(request: ChatRequest, modelId: string): Record<string, unknown> | undefined {
  if (request.topK === undefined) return undefined;
  switch (familyOf(modelId)) {
    case 'anthropic':
      return { top_k: request.topK };
    case 'nova':
      return { inferenceConfig: { topK: request.topK } };
    case 'gpt-oss':
    case 'other':
      throw new GatewayError(`top_k is not supported for Bedrock model ${modelId}`, {
        code: 'unsupported',
        param: 'top_k',
      });
  }
}

/** Whether Bedrock CountTokens counts for this model (Anthropic Claude models; others are refused). */
export function countsTokens(modelId: string): boolean {
  return familyOf(modelId) === 'anthropic';
}
