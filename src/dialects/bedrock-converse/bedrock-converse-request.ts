import { z } from 'zod';
import type {
  AssistantPart,
  ChatMessage,
  ChatRequest,
  ToolChoice,
  UserPart,
} from '../../core/chat-request.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import type { ChatRouteParams } from '../dialect.ts';
import { checkArrayBound, checkChatBodyBounds, isObject, requestBounds } from '../request-bounds.ts';
import { formatPath, validationError } from '../validation-error.ts';
import { groupOfModelId } from './bedrock-model-id.ts';

// Converse content blocks are single-key unions on the wire. Each is a strict object whose members
// are all optional, with a check that exactly one is set: a member the gateway cannot carry
// (document, video, cachePoint, guardContent, reasoningContent, ...) is an unrecognized key, refused
// with its own path, and a wrong type inside a member is reported at that member's field.

const imageBlock = z.strictObject({
  format: z.enum(['png', 'jpeg', 'gif', 'webp']),
  source: z.strictObject({ bytes: z.string() }),
});

const toolUseBlock = z.strictObject({
  toolUseId: z.string().min(1),
  name: z.string().min(1),
  input: z.unknown(),
});

const toolResultContent = z.strictObject({ text: z.string().optional(), json: z.unknown().optional() });

const toolResultBlock = z.strictObject({
  toolUseId: z.string().min(1),
  content: z.array(toolResultContent),
  status: z.enum(['success', 'error']).optional(),
});

function oneMember(block: Record<string, unknown>, context: z.RefinementCtx): void {
  let members = 0;
  for (const key in block) if (block[key] !== undefined) members += 1;
  if (members !== 1)
    context.addIssue({ code: 'custom', message: `a content block has exactly one member (got ${members})` });
}

const userBlock = z
  .strictObject({
    text: z.string().optional(),
    image: imageBlock.optional(),
    toolResult: toolResultBlock.optional(),
  })
  .superRefine(oneMember);

const assistantBlock = z
  .strictObject({ text: z.string().optional(), toolUse: toolUseBlock.optional() })
  .superRefine(oneMember);

const message = z.discriminatedUnion('role', [
  z.strictObject({ role: z.literal('user'), content: z.array(userBlock).min(1) }),
  z.strictObject({ role: z.literal('assistant'), content: z.array(assistantBlock).min(1) }),
]);

const toolSpec = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  inputSchema: z.strictObject({ json: z.record(z.string(), z.unknown()) }),
});

const toolChoice = z
  .strictObject({
    auto: z.strictObject({}).optional(),
    any: z.strictObject({}).optional(),
    tool: z.strictObject({ name: z.string().min(1) }).optional(),
  })
  .superRefine(oneMember);

/**
 * The Converse / ConverseStream body (AWS API reference API_runtime_Converse) as far as the
 * canonical request carries it. Unknown top-level members (guardrailConfig, promptVariables,
 * serviceTier, ...) are refused by name rather than dropped.
 */
const converseBody = z.strictObject({
  messages: z.array(message).min(1),
  system: z.array(z.strictObject({ text: z.string() })).optional(),
  inferenceConfig: z
    .strictObject({
      maxTokens: z.number().int().positive().optional(),
      temperature: z.number().min(0).optional(),
      topP: z.number().min(0).max(1).optional(),
      stopSequences: z.array(z.string()).optional(),
    })
    .optional(),
  toolConfig: z
    .strictObject({
      tools: z.array(z.strictObject({ toolSpec })).min(1),
      toolChoice: toolChoice.optional(),
    })
    .optional(),
  // Carried only when empty: the canonical request has no provider-specific fields.
  additionalModelRequestFields: z.strictObject({}).optional(),
  additionalModelResponseFieldPaths: z.array(z.string()).max(0).optional(),
  // Request metadata labels the invocation in Bedrock's logs; the gateway logs its own ids.
  requestMetadata: z.record(z.string(), z.string()).optional(),
  performanceConfig: z.strictObject({ latency: z.literal('standard') }).optional(),
});

type Body = z.infer<typeof converseBody>;

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
  const use = block.toolUse as z.infer<typeof toolUseBlock>;
  return { type: 'tool_call', id: use.toolUseId, name: use.name, arguments: JSON.stringify(use.input ?? {}) };
}

function toTurn(entry: Body['messages'][number], index: number): ChatMessage {
  if (entry.role === 'assistant') return { role: 'assistant', content: entry.content.map(assistantPart) };
  return {
    role: 'user',
    content: entry.content.map((block, blockIndex) =>
      userPart(block, `messages[${index}].content[${blockIndex}]`),
    ),
  };
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
  const system = input.system?.map((block) => block.text).join('\n');
  const config = input.inferenceConfig;
  const tools = input.toolConfig?.tools;
  return {
    model: groupOfModelId(route.model),
    system: system === undefined || system === '' ? undefined : system,
    messages: input.messages.map(toTurn),
    maxTokens: config?.maxTokens,
    temperature: config?.temperature,
    topP: config?.topP,
    stop:
      config?.stopSequences !== undefined && config.stopSequences.length > 0
        ? config.stopSequences
        : undefined,
    tools: tools?.map(({ toolSpec: spec }) => ({
      name: spec.name,
      description: spec.description,
      parameters: spec.inputSchema.json,
    })),
    toolChoice:
      input.toolConfig?.toolChoice === undefined ? undefined : toToolChoice(input.toolConfig.toolChoice),
    stream: route.stream === true,
  };
}
