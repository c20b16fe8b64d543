import type {
  AssistantPart,
  ChatMessage,
  ChatRequest,
  ResponseFormat,
  ToolChoice,
  ToolDefinition,
  UserPart,
} from '../../core/chat-request.ts';
import { exceedsJsonDepth, maxJsonDepth } from '../../core/json-depth.ts';
import { invalidRequest } from '../../errors/gateway-error.ts';
import {
  answerToolOf,
  reasoningFields,
  topKFields,
  wantsReasoning,
  type AnswerTool,
} from './converse-features.ts';

/**
 * Canonical request → Bedrock Converse / ConverseStream body (protocols.md 1.2; AWS API reference
 * API_runtime_Converse). The model id goes in the path, never in the body.
 */

/** One Converse content block (single-key union on the wire). */
export type ConverseContentBlock =
  | { readonly text: string }
  | { readonly image: { readonly format: string; readonly source: { readonly bytes: string } } }
  | {
      readonly toolUse: { readonly toolUseId: string; readonly name: string; readonly input: unknown };
    }
  | {
      readonly toolResult: {
        readonly toolUseId: string;
        readonly content: readonly { readonly text: string }[];
        readonly status?: 'error';
      };
    }
  | { readonly cachePoint: { readonly type: 'default' } }
  | {
      readonly reasoningContent:
        | { readonly reasoningText: { readonly text: string; readonly signature?: string } }
        | { readonly redactedContent: string };
    };

export interface ConverseMessage {
  readonly role: 'user' | 'assistant';
  readonly content: ConverseContentBlock[];
}

/** Converse's prompt-cache breakpoint: everything before it may be cached. */
const cachePoint = { cachePoint: { type: 'default' } } as const;

type SystemBlock = { readonly text: string } | typeof cachePoint;
type ToolEntry = { readonly toolSpec: ConverseToolSpec } | typeof cachePoint;

export interface ConverseRequestBody {
  readonly messages: ConverseMessage[];
  readonly system?: SystemBlock[];
  readonly inferenceConfig?: {
    maxTokens?: number;
    temperature?: number;
    topP?: number;
    stopSequences?: string[];
  };
  readonly toolConfig?: {
    readonly tools: ToolEntry[];
    readonly toolChoice?: { auto: object } | { any: object } | { tool: { name: string } };
  };
  readonly additionalModelRequestFields?: Record<string, unknown>;
}

interface ConverseToolSpec {
  readonly name: string;
  readonly description?: string;
  readonly inputSchema: { readonly json: Readonly<Record<string, unknown>> };
}

const imageFormats: Readonly<Record<string, string>> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

/**
 * Builds the Converse body for `modelId` (its family decides how reasoning is asked for). Throws an
 * invalid_request GatewayError for what Bedrock cannot express. Cache breakpoints become
 * `cachePoint` blocks after the part, tool or system prompt that carries them; a json_schema
 * format becomes a forced answer tool (converse-features.ts).
 */
export function toConverseRequest(request: ChatRequest, modelId = ''): ConverseRequestBody {
  const answerTool = answerToolOf(request.responseFormat);
  const thinking = wantsReasoning(request);
  const system = systemBlocks(request, answerTool !== undefined && thinking ? answerTool : undefined);
  const reasoning = reasoningFields(request, modelId);
  const topK = topKFields(request, modelId);
  const fields =
    reasoning.fields === undefined && topK === undefined ? undefined : { ...reasoning.fields, ...topK };
  const inferenceConfig = inferenceConfigOf(request, reasoning.maxTokens);
  const toolConfig = toolConfigOf(request.tools, request.toolChoice, answerTool, thinking);
  return {
    messages: toConverseMessages(request.messages),
    ...(system.length > 0 ? { system } : {}),
    ...(inferenceConfig === undefined ? {} : { inferenceConfig }),
    ...(toolConfig === undefined ? {} : { toolConfig }),
    ...(fields === undefined ? {} : { additionalModelRequestFields: fields }),
  };
}

function toConverseMessages(messages: readonly ChatMessage[]): ConverseMessage[] {
  const result: ConverseMessage[] = [];
  for (const message of messages) {
    const content: ConverseContentBlock[] = [];
    for (const part of message.content) {
      const block =
        message.role === 'user' ? userBlock(part as UserPart) : assistantBlock(part as AssistantPart);
      if (block === undefined) continue;
      content.push(block);
      if ('cacheControl' in part && part.cacheControl !== undefined) content.push(cachePoint);
    }
    const previous = result.at(-1);
    // Converse requires alternating roles; the OpenAI dialect yields tool results and the next user
    // text as two user turns, so consecutive turns of one role are merged.
    // One push per block: spreading a huge array into push() overflows the argument stack.
    if (previous?.role === message.role) for (const block of content) previous.content.push(block);
    else result.push({ role: message.role, content });
  }
  return result;
}

function userBlock(part: UserPart): ConverseContentBlock {
  switch (part.type) {
    case 'text':
      return { text: part.text };
    case 'image': {
      const format = imageFormats[part.mediaType.toLowerCase()];
      if (format === undefined) {
        throw invalidRequest(`image type ${part.mediaType} is not supported by Bedrock`, 'messages');
      }
      return { image: { format, source: { bytes: part.data } } };
    }
    case 'tool_result':
      return {
        toolResult: {
          toolUseId: part.toolCallId,
          content: [{ text: part.content }],
          // `status` is only accepted by some model families; send it only when it carries news.
          ...(part.isError === true ? { status: 'error' as const } : {}),
        },
      };
  }
}

function assistantBlock(part: AssistantPart): ConverseContentBlock | undefined {
  switch (part.type) {
    case 'text':
      return { text: part.text };
    case 'tool_call':
      return { toolUse: { toolUseId: part.id, name: part.name, input: parseArguments(part) } };
    case 'reasoning':
      // Reasoning goes back only with a signature (from this family); another provider's would be refused.
      if (part.signature === undefined || part.signature === '') return undefined;
      return { reasoningContent: { reasoningText: { text: part.text, signature: part.signature } } };
    case 'redacted_reasoning':
      return { reasoningContent: { redactedContent: part.data } };
  }
}

function parseArguments(part: { readonly name: string; readonly arguments: string }): unknown {
  if (part.arguments.trim() === '') return {};
  let input: unknown;
  try {
    input = JSON.parse(part.arguments) as unknown;
  } catch {
    throw invalidRequest(`arguments of tool call ${part.name} are not valid JSON`, 'messages');
  }
  // The body is serialized recursively: a deeper value would overflow the stack there.
  if (exceedsJsonDepth(input, maxJsonDepth)) {
    throw invalidRequest(
      `arguments of tool call ${part.name} nest more than ${maxJsonDepth} levels deep`,
      'messages',
    );
  }
  return input;
}

/** The system prompt, its cache breakpoint, and the instruction a JSON answer needs. */
function systemBlocks(request: ChatRequest, unforcedTool: AnswerTool | undefined): SystemBlock[] {
  const blocks: SystemBlock[] = [];
  if (request.system !== undefined && request.system !== '') blocks.push({ text: request.system });
  const instruction = jsonInstruction(request.responseFormat, unforcedTool);
  if (instruction !== undefined) blocks.push({ text: instruction });
  if (request.systemCacheControl !== undefined && blocks.length > 0) blocks.push(cachePoint);
  return blocks;
}

/**
 * Converse has no JSON mode: `json_object` is asked for with a system instruction (the model
 * usually complies; nothing validates it). A schema is a forced tool; only when the tool cannot
 * be forced (Claude thinking) does the instruction ask for the tool.
 */
function jsonInstruction(
  format: ResponseFormat | undefined,
  unforcedTool: AnswerTool | undefined,
): string | undefined {
  if (unforcedTool !== undefined) return `Give your final answer by calling the ${unforcedTool.name} tool.`;
  if (format?.type === 'json_object')
    return 'Respond with one valid JSON object and nothing else: no prose, no code fences.';
  return undefined;
}

function inferenceConfigOf(
  request: ChatRequest,
  maxTokens: number | undefined,
): ConverseRequestBody['inferenceConfig'] {
  const config: NonNullable<ConverseRequestBody['inferenceConfig']> = {};
  if (maxTokens !== undefined) config.maxTokens = maxTokens;
  if (request.temperature !== undefined) config.temperature = request.temperature;
  if (request.topP !== undefined) config.topP = request.topP;
  if (request.stop !== undefined && request.stop.length > 0) config.stopSequences = [...request.stop];
  return Object.keys(config).length > 0 ? config : undefined;
}

function toolConfigOf(
  tools: readonly ToolDefinition[] | undefined,
  choice: ToolChoice | undefined,
  answerTool: AnswerTool | undefined,
  thinking: boolean,
): ConverseRequestBody['toolConfig'] {
  // `none` has no Converse equivalent: the tools are left out so the model cannot call them.
  const offered = tools === undefined || choice?.type === 'none' ? [] : tools;
  if (answerTool !== undefined) {
    const specs = toolEntries(offered);
    specs.push({ toolSpec: toolSpec(answerTool.name, answerTool.description, answerTool.schema) });
    // The answer tool is forced when it is the only tool; beside the client's tools, some tool must be called.
    const forced = offered.length === 0 ? { tool: { name: answerTool.name } } : { any: {} };
    return { tools: specs, toolChoice: thinking ? { auto: {} } : forced };
  }
  if (offered.length === 0) return undefined;
  const specs = toolEntries(offered);
  if (choice === undefined) return { tools: specs };
  switch (choice.type) {
    case 'auto':
      return { tools: specs, toolChoice: { auto: {} } };
    case 'required':
      return { tools: specs, toolChoice: { any: {} } };
    case 'tool':
      return { tools: specs, toolChoice: { tool: { name: choice.name } } };
    case 'none':
      return undefined;
  }
}

function toolSpec(
  name: string,
  description: string | undefined,
  schema: Readonly<Record<string, unknown>>,
): ConverseToolSpec {
  return { name, ...(description === undefined ? {} : { description }), inputSchema: { json: schema } };
}

/** The client's tools, each followed by a cache point when it carries a breakpoint. */
function toolEntries(tools: readonly ToolDefinition[]): ToolEntry[] {
  const entries: ToolEntry[] = [];
  for (const tool of tools) {
    entries.push({ toolSpec: toolSpec(tool.name, tool.description, tool.parameters) });
    if (tool.cacheControl !== undefined) entries.push(cachePoint);
  }
  return entries;
}
