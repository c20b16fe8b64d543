import type { z } from 'zod';
import type {
  AssistantPart,
  CacheControl,
  ChatMessage,
  ChatRequest,
  ReasoningRequest,
  ToolChoice,
  ToolDefinition,
  UserPart,
} from '../../core/chat-request.ts';
import { GatewayError, invalidRequest } from '../../errors/gateway-error.ts';
import type { ChatRouteParams } from '../dialect.ts';
import { checkArrayBound, checkChatBodyBounds, isObject, requestBounds } from '../request-bounds.ts';
import { formatPath, validationError } from '../validation-error.ts';
import {
  type additionalFields,
  type assistantBlock,
  type cachePoint,
  converseBody,
  type ConverseBody,
  type toolChoice,
  type toolResultBlock,
  type toolResultContent,
  type toolUseBlock,
  type userBlock,
} from './bedrock-converse-schema.ts';
import { groupOfModelId } from './bedrock-model-id.ts';

/**
 * A zod error as a 400. A member the gateway does not know comes first, named by its own path
 * ("not supported"): `{cachePoint}` is refused as that, not as a block missing its `text`.
 */
function refusal(error: z.ZodError): GatewayError {
  const unknown = error.issues.find((issue) => issue.code === 'unrecognized_keys');
  if (unknown !== undefined) {
    const param = formatPath([...unknown.path, unknown.keys[0] ?? '']);
    return new GatewayError(`${param}: not supported by the gateway's Bedrock endpoint`, {
      code: 'invalid_request',
      param,
    });
  }
  return validationError(error);
}

function resultText(content: readonly z.infer<typeof toolResultContent>[], param: string): string {
  let text = '';
  content.forEach((entry, index) => {
    if (entry.text !== undefined) text += entry.text;
    else if (entry.json !== undefined) text += JSON.stringify(entry.json);
    else
      throw new GatewayError(`${param}[${index}]: a tool result block has text or json`, {
        code: 'invalid_request',
        param: `${param}[${index}]`,
      });
  });
  return text;
}

function cacheControlOf(point: z.infer<typeof cachePoint>): CacheControl {
  return point.ttl === undefined ? { type: 'ephemeral' } : { type: 'ephemeral', ttl: point.ttl };
}

/**
 * Puts a cachePoint block's breakpoint on the part before it, which is what Bedrock caches up to.
 * A cache point with no such part before it (first in its list, or after reasoning) is refused.
 */
function markCached(
  parts: (UserPart | AssistantPart | ToolDefinition)[],
  point: z.infer<typeof cachePoint>,
  param: string,
): void {
  const last = parts.at(-1);
  const type = last !== undefined && 'type' in last ? last.type : undefined;
  if (last === undefined || type === 'reasoning' || type === 'redacted_reasoning')
    throw invalidRequest(`${param}: a cache point follows the block it caches up to`, param);
  parts[parts.length - 1] = { ...last, cacheControl: cacheControlOf(point) };
}

function userPart(block: z.infer<typeof userBlock>, param: string): UserPart {
  if (block.text !== undefined) return { type: 'text', text: block.text };
  if (block.image !== undefined)
    return { type: 'image', mediaType: `image/${block.image.format}`, data: block.image.source.bytes };
  const result = block.toolResult as z.infer<typeof toolResultBlock>;
  return {
    type: 'tool_result',
    toolCallId: result.toolUseId,
    content: resultText(result.content, `${param}.toolResult.content`),
    isError: result.status === undefined ? undefined : result.status === 'error',
  };
}

function assistantPart(block: z.infer<typeof assistantBlock>): AssistantPart {
  if (block.text !== undefined) return { type: 'text', text: block.text };
  const reasoning = block.reasoningContent;
  if (reasoning?.reasoningText !== undefined)
    return {
      type: 'reasoning',
      text: reasoning.reasoningText.text,
      signature: reasoning.reasoningText.signature,
    };
  // Bedrock's redacted reasoning is a blob: its base64 is the canonical data.
  if (reasoning?.redactedContent !== undefined)
    return { type: 'redacted_reasoning', data: reasoning.redactedContent };
  const use = block.toolUse as z.infer<typeof toolUseBlock>;
  return { type: 'tool_call', id: use.toolUseId, name: use.name, arguments: JSON.stringify(use.input ?? {}) };
}

function toTurn(entry: ConverseBody['messages'][number], index: number): ChatMessage {
  const param = (blockIndex: number): string => `messages[${index}].content[${blockIndex}]`;
  if (entry.role === 'assistant') {
    const parts: AssistantPart[] = [];
    entry.content.forEach((block, blockIndex) => {
      if (block.cachePoint === undefined) parts.push(assistantPart(block));
      else markCached(parts, block.cachePoint, `${param(blockIndex)}.cachePoint`);
    });
    return { role: 'assistant', content: parts };
  }
  const parts: UserPart[] = [];
  entry.content.forEach((block, blockIndex) => {
    if (block.cachePoint === undefined) parts.push(userPart(block, param(blockIndex)));
    else markCached(parts, block.cachePoint, `${param(blockIndex)}.cachePoint`);
  });
  return { role: 'user', content: parts };
}

function toTools(tools: NonNullable<ConverseBody['toolConfig']>['tools']): ToolDefinition[] {
  const definitions: ToolDefinition[] = [];
  tools.forEach((entry, index) => {
    const spec = entry.toolSpec;
    if (spec !== undefined)
      definitions.push({ name: spec.name, description: spec.description, parameters: spec.inputSchema.json });
    else if (entry.cachePoint !== undefined)
      markCached(definitions, entry.cachePoint, `toolConfig.tools[${index}].cachePoint`);
  });
  return definitions;
}

/** Reasoning as the model families on Bedrock ask for it; at most one of their fields. */
function toReasoning(fields: z.infer<typeof additionalFields> | undefined): ReasoningRequest | undefined {
  if (fields === undefined) return undefined;
  const given = (['thinking', 'reasoningConfig', 'reasoning_effort'] as const).filter(
    (key) => fields[key] !== undefined,
  );
  if (given.length > 1) {
    const param = `additionalModelRequestFields.${given[1] ?? ''}`;
    throw invalidRequest(`${param}: give one of thinking, reasoningConfig and reasoning_effort`, param);
  }
  const { thinking, reasoningConfig, reasoning_effort: effort } = fields;
  if (thinking !== undefined)
    return thinking.type === 'enabled' ? { budgetTokens: thinking.budget_tokens } : { effort: 'none' };
  if (reasoningConfig !== undefined)
    return reasoningConfig.type === 'enabled'
      ? { effort: reasoningConfig.maxReasoningEffort ?? 'medium' }
      : { effort: 'none' };
  return effort === undefined ? undefined : { effort };
}

function toToolChoice(choice: z.infer<typeof toolChoice>): ToolChoice {
  if (choice.tool !== undefined) return { type: 'tool', name: choice.tool.name };
  return choice.any !== undefined ? { type: 'required' } : { type: 'auto' };
}

/** The shared count bounds, plus `system`, the tool list and each tool result's content. */
function checkConverseBounds(body: unknown): void {
  checkChatBodyBounds(body);
  if (!isObject(body)) return;
  checkArrayBound(body.system, requestBounds.maxContentParts, 'system', 'content parts');
  if (isObject(body.toolConfig))
    checkArrayBound(body.toolConfig.tools, requestBounds.maxTools, 'toolConfig.tools', 'tools');
  if (!Array.isArray(body.messages)) return;
  body.messages.forEach((entry: unknown, index) => {
    if (!isObject(entry) || !Array.isArray(entry.content)) return;
    entry.content.forEach((block: unknown, blockIndex) => {
      if (isObject(block) && isObject(block.toolResult)) {
        const param = `messages[${index}].content[${blockIndex}].toolResult.content`;
        checkArrayBound(block.toolResult.content, requestBounds.maxContentParts, param, 'content parts');
      }
    });
  });
}

/**
 * A Converse body into the canonical request; the model group comes from the path's `modelId`,
 * streaming from the route (converse-stream). Throws 400 GatewayErrors naming the field.
 */
export function parseConverse(body: unknown, route: ChatRouteParams): ChatRequest {
  checkConverseBounds(body);
  const parsed = converseBody.safeParse(body);
  if (!parsed.success) throw refusal(parsed.error);
  const input = parsed.data;
  const systemTexts = input.system?.flatMap((block) => (block.text === undefined ? [] : [block.text]));
  const system = systemTexts?.join('\n');
  const systemPoint = input.system?.findLast((block) => block.cachePoint !== undefined)?.cachePoint;
  if (systemPoint !== undefined && system === '') {
    const index = input.system?.findIndex((block) => block.cachePoint !== undefined) ?? 0;
    markCached([], systemPoint, `system[${index}].cachePoint`);
  }
  const config = input.inferenceConfig;
  const tools = input.toolConfig?.tools;
  return {
    model: groupOfModelId(route.model),
    system: system === undefined || system === '' ? undefined : system,
    systemCacheControl: systemPoint === undefined ? undefined : cacheControlOf(systemPoint),
    messages: input.messages.map(toTurn),
    maxTokens: config?.maxTokens,
    temperature: config?.temperature,
    topP: config?.topP,
    stop:
      config?.stopSequences !== undefined && config.stopSequences.length > 0
        ? config.stopSequences
        : undefined,
    tools: tools === undefined ? undefined : toTools(tools),
    toolChoice:
      input.toolConfig?.toolChoice === undefined ? undefined : toToolChoice(input.toolConfig.toolChoice),
    topK: input.additionalModelRequestFields?.top_k,
    reasoning: toReasoning(input.additionalModelRequestFields),
    stream: route.stream === true,
  };
}
